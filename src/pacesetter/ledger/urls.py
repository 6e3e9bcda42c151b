from django.urls import path

from . import flag_views, verification_views, views

urlpatterns = [
    path("report/<slug:slug>/", views.report_entry, name="report-entry"),
    path("report/<slug:slug>/undo/<int:report_id>/", views.undo_report, name="report-undo"),
    path("report/<slug:slug>/upload/", views.report_upload, name="report-upload"),
    path(
        "report/<slug:slug>/upload/<str:token>/",
        views.report_upload_preview,
        name="report-upload-preview",
    ),
    path("report/<slug:slug>/template.csv", views.report_template, name="report-template"),
    path(
        "verify/<slug:slug>/",
        verification_views.verification_queue_page,
        name="verification-queue",
    ),
    path(
        "verify/<slug:slug>/<int:report_id>/",
        verification_views.verification_decide,
        name="verification-decide",
    ),
    path("movements/<slug:slug>/flag-rules/", flag_views.flag_rules, name="ledger-flag-rules"),
]
