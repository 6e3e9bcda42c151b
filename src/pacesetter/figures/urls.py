from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("movements/<slug:slug>/", views.movement_detail, name="movement-detail"),
    path("board/<slug:slug>/", views.honour_board, name="honour-board"),
]
