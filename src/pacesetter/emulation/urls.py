from django.urls import path

from . import setup_views, views

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
    # before the leaderboard's address, whose code "set-up" would otherwise be
    path("movements/<slug:slug>/emulation/set-up/", setup_views.set_up, name="emulation-set-up"),
    path(
        "movements/<slug:slug>/emulation/set-up/block/",
        setup_views.block_create,
        name="emulation-block-create",
    ),
    path(
        "movements/<slug:slug>/emulation/set-up/ranking/",
        setup_views.scoring_create,
        name="emulation-scoring-create",
    ),
    path(
        "movements/<slug:slug>/emulation/set-up/ranking/<slug:code>/change/",
        setup_views.scoring_change,
        name="emulation-scoring-change",
    ),
    path(
        "movements/<slug:slug>/emulation/set-up/ranking/<slug:code>/retire/",
        setup_views.scoring_retire,
        name="emulation-scoring-retire",
    ),
    path(
        "movements/<slug:slug>/emulation/<slug:code>/",
        views.leaderboard,
        name="emulation-leaderboard",
    ),
    path("challenges/<int:challenge_id>/", views.challenge_detail, name="challenge-detail"),
    path("notifications/", views.notifications, name="emulation-notifications"),
]
