from django.urls import path

from . import views

urlpatterns = [
    path("movements/<slug:slug>/practices/", views.practice_list, name="practice-list"),
    path(
        "movements/<slug:slug>/practices/publish/",
        views.practice_publish,
        name="practice-publish",
    ),
    path("practices/<int:practice_id>/", views.practice_detail, name="practice-detail"),
    path(
        "practices/<int:practice_id>/attachments/",
        views.practice_attach,
        name="practice-attach",
    ),
    path(
        "practices/attachments/<int:attachment_id>/",
        views.attachment_file,
        name="practice-attachment",
    ),
]
