from django.urls import path

from . import setup_views, views

urlpatterns = [
    path("drives/", views.drives_home, name="drives-home"),
    path("drives/sign-up/find/", views.find_sign_up, name="drives-find-sign-up"),
    path("drives/sign-up/<str:code>/", views.signed_up, name="drives-signed-up"),
    path("drives/<slug:slug>/set-up/", setup_views.set_up, name="drives-set-up"),
    path(
        "drives/<slug:slug>/set-up/donations/",
        setup_views.donation_drive_create,
        name="drives-donation-drive-create",
    ),
    path(
        "drives/<slug:slug>/set-up/volunteers/",
        setup_views.volunteer_call_create,
        name="drives-volunteer-call-create",
    ),
    path(
        "drives/<slug:slug>/set-up/enlistment/",
        setup_views.enlistment_drive_create,
        name="drives-enlistment-drive-create",
    ),
    path("drives/<slug:slug>/donations/", views.donations, name="drives-donations"),
    path(
        "drives/<slug:slug>/donations/targets/",
        views.donation_targets,
        name="drives-donation-targets",
    ),
    path(
        "drives/<slug:slug>/donations/receipts/<int:entry_id>.pdf",
        views.receipt,
        name="drives-receipt",
    ),
    path("drives/<slug:slug>/volunteers/", views.volunteers, name="drives-volunteers"),
    path("drives/<slug:slug>/volunteers/sign-up/", views.sign_up, name="drives-sign-up"),
    path("drives/<slug:slug>/volunteers/manage/", views.manage_signup, name="drives-manage-signup"),
    path("drives/<slug:slug>/enlistment/", views.enlistment, name="drives-enlistment"),
]
