from django.urls import path

from . import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke-token"),
    path("units/<str:code>/roles/", views.unit_roles, name="unit-roles"),
    path("grants/<int:grant_id>/withdraw/", views.withdraw_grant, name="withdraw-grant"),
    path("people/", views.people, name="people"),
    path("people/<str:username>/edit/", views.person_edit, name="person-edit"),
    path("people/<str:username>/deactivate/", views.person_deactivate, name="person-deactivate"),
    path("people/<str:username>/reactivate/", views.person_reactivate, name="person-reactivate"),
]
