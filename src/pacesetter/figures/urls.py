from django.urls import path

from . import trace, views

urlpatterns = [
    path("", views.home, name="home"),
    path("movements/<slug:slug>/", views.movement_detail, name="movement-detail"),
    path("movements/<slug:slug>/units/<str:code>/", views.unit_detail, name="unit-detail"),
    path(
        "movements/<slug:slug>/units/<str:code>/reports/",
        trace.figure_reports,
        name="figure-reports",
    ),
    path("board/<slug:slug>/", views.honour_board, name="honour-board"),
]
