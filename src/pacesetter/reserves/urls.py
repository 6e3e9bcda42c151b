from django.urls import path

from . import views

urlpatterns = [
    path("movements/<slug:slug>/reserve-links/", views.links, name="reserves-links"),
    path(
        "movements/<slug:slug>/reserve-links/<int:link_id>/remove/",
        views.unlink,
        name="reserves-unlink",
    ),
    path("units/<str:code>/reserves/", views.unit_reserves, name="reserves-unit"),
    path("units/<str:code>/reserves/propose/", views.propose, name="reserves-propose"),
    path("reserves/<int:reserve_id>/", views.reserve_page, name="reserves-detail"),
    path("reserves/<int:reserve_id>/<str:verb>/", views.transition, name="reserves-transition"),
]
