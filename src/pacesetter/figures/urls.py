from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("movements/<slug:slug>/", views.movement_detail, name="movement-detail"),
    path("movements/<slug:slug>/units/<str:code>/", views.unit_detail, name="unit-detail"),
    path("board/<slug:slug>/", views.honour_board, name="honour-board"),
]
