from django.urls import path

from . import dossier_views, history_views, views

app_name = "titles"

urlpatterns = [
    path("titles/", views.pack_list, name="packs"),
    path("titles/packs/<slug:slug>/", views.pack_detail, name="pack"),
    path("titles/packs/<slug:slug>/export.yaml", views.pack_export, name="pack-export"),
    path("titles/packs/<slug:slug>/<slug:code>/", views.title_detail, name="title"),
    path("titles/runs/<int:run_id>/", views.run_detail, name="run"),
    path("titles/runs/<int:run_id>/nominate/", views.run_nominate, name="run-nominate"),
    path("titles/candidates/<int:candidate_id>/", views.candidate_detail, name="candidate"),
    path("titles/runs/<int:run_id>/minutes.pdf", dossier_views.run_minutes, name="minutes"),
    path("titles/nominations/<int:nomination_id>/", dossier_views.dossier, name="dossier"),
    path(
        "titles/attachments/<int:attachment_id>/",
        dossier_views.attachment_download,
        name="attachment",
    ),
    path(
        "titles/attachments/<int:attachment_id>/withdraw/",
        dossier_views.attachment_withdraw,
        name="attachment-withdraw",
    ),
    path("titles/nominations/<int:nomination_id>/vote/", views.vote, name="vote"),
    path("titles/nominations/<int:nomination_id>/decide/", views.decide, name="decide"),
    path("titles/awards/<int:award_id>/", views.award_detail, name="award"),
    path("titles/awards/<int:award_id>/certificate.pdf", views.certificate, name="certificate"),
    path(
        "titles/awards/<int:award_id>/decision/",
        history_views.award_decision,
        name="award-decision",
    ),
    path("titles/awards/import/", history_views.awards_import, name="awards-import"),
    path(
        "titles/awards/import/<slug:slug>/<str:token>/",
        history_views.awards_import_preview,
        name="awards-import-preview",
    ),
    path("titles/facts/", views.facts_upload, name="facts-upload"),
    path("titles/facts/new/", views.fact_entry, name="fact-entry"),
    path("titles/people/<int:member_id>/<int:year>/", views.member_facts, name="member-facts"),
    path("titles/units/<int:unit_id>/<int:year>/", views.unit_facts, name="unit-facts"),
    path("verify/<str:code>", views.verify, name="verify"),
]
