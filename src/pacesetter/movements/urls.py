from django.urls import path

from . import secondment_views, views

urlpatterns = [
    path("organise/new/", views.movement_create, name="movement-create"),
    path("organise/<slug:slug>/", views.movement_organise, name="movement-organise"),
    path("organise/<slug:slug>/indicators/", views.indicator_add, name="movement-indicator-add"),
    path(
        "organise/<slug:slug>/verified-only/",
        views.verified_only_set,
        name="movement-verified-only",
    ),
    path("organise/<slug:slug>/periods/", views.period_add, name="movement-period-add"),
    path(
        "organise/<slug:slug>/periods/generate/",
        views.periods_generate,
        name="movement-periods-generate",
    ),
    path(
        "organise/<slug:slug>/periods/monthly/",
        views.periods_monthly,
        name="movement-periods-monthly",
    ),
    path("organise/<slug:slug>/plans/", views.plan_set, name="movement-plan-set"),
    path("organise/<slug:slug>/plans/upload/", views.plans_upload, name="movement-plans-upload"),
    path(
        "organise/<slug:slug>/plans/upload/<str:token>/",
        views.plans_preview,
        name="movement-plans-preview",
    ),
    path(
        "organise/<slug:slug>/plans/template.csv",
        views.plans_template,
        name="movement-plans-template",
    ),
    path(
        "movements/<slug:slug>/secondments/",
        secondment_views.secondments,
        name="movement-secondments",
    ),
    path("organise/<slug:slug>/launch/", views.movement_launch, name="movement-launch"),
    path("organise/<slug:slug>/close/", views.movement_close, name="movement-close"),
]
