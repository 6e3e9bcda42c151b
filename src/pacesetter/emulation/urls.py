from django.urls import path

from . import views

urlpatterns = [
    path("movements/<slug:slug>/emulation/", views.emulation_home, name="emulation-home"),
    path(
        "movements/<slug:slug>/emulation/overtakings/",
        views.overtakings,
        name="emulation-overtakings",
    ),
    path(
        "movements/<slug:slug>/emulation/challenges/",
        views.challenges,
        name="emulation-challenges",
    ),
    path(
        "movements/<slug:slug>/emulation/<slug:code>/",
        views.leaderboard,
        name="emulation-leaderboard",
    ),
    path("challenges/<int:challenge_id>/", views.challenge_detail, name="challenge-detail"),
    path("notifications/", views.notifications, name="emulation-notifications"),
]
