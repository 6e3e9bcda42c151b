from django.urls import path

from . import views

urlpatterns = [
    path("units/<str:code>/visits/", views.unit_visits, name="visits-unit"),
    path("units/<str:code>/visits/record/", views.record, name="visits-record"),
    path("units/<str:code>/visits/coverage/", views.coverage, name="visits-coverage"),
    path("units/<str:code>/visits/overdue/", views.overdue, name="visits-overdue"),
    path("visits/mine/", views.mine, name="visits-mine"),
    path("visits/import/", views.import_visits, name="visits-import"),
    path("visits/<int:visit_id>/", views.visit_page, name="visits-detail"),
    path("visits/<int:visit_id>/follow-ups/", views.add_follow_up, name="visits-follow-up"),
    path("follow-ups/<int:task_id>/<str:verb>/", views.mark, name="visits-mark"),
]
