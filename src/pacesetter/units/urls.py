from django.urls import path

from . import views

urlpatterns = [
    path("units/", views.units_index, name="units-index"),
    path("units/add/", views.units_add_root, name="units-add-root"),
    path("units/upload/", views.units_upload, name="units-upload"),
    path("units/<str:code>/", views.unit_page, name="unit-page"),
    path("units/<str:code>/edit/", views.unit_edit, name="unit-edit"),
    path("units/<str:code>/add/", views.unit_add, name="unit-add"),
    path("units/<str:code>/move/", views.unit_move, name="unit-move"),
    path("units/<str:code>/archive/", views.unit_archive, name="unit-archive"),
]
