from django.urls import path

from . import views

urlpatterns = [
    path("units/<str:code>/voices/", views.queue, name="voices-queue"),
    path("units/<str:code>/voices/raise/", views.raise_page, name="voices-raise"),
    path("units/<str:code>/voices/import/", views.import_page, name="voices-import"),
    path("units/<str:code>/voices/topics/", views.topics_page, name="voices-topics"),
    path("voices/mine/", views.mine, name="voices-mine"),
    path("voices/public/", views.public, name="voices-public"),
    path("voices/<int:voice_id>/", views.voice_page, name="voices-detail"),
    path("voices/<int:voice_id>/attachment/", views.attachment, name="voices-attachment"),
    path("voices/<int:voice_id>/<str:verb>/", views.step, name="voices-step"),
    path("movements/<slug:slug>/voices/", views.movement_topics, name="voices-movement"),
]
