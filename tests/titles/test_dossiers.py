"""A nomination's dossier: documents judged by their content, kept in the attachments storage
and served only to those who may see the nomination; withdrawal marks, never deletes; the
dossier page a council member reads and votes from; the council's minutes as a PDF."""

from __future__ import annotations

import io
import subprocess
import zipfile

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pacesetter.accounts.actions import grant_role
from pacesetter.accounts.models import Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import NotAllowed, StateError, ValidationFailed
from pacesetter.titles import actions, dossiers
from pacesetter.titles.models import NominationAttachment, Title
from pacesetter.units import actions as unit_actions
from tests import factories
from tests.accounts.matrix_world import PACK

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})


@pytest.fixture
def nomination(units, council):
    """The matrix pack's "star" (a council vote, yes >= 50% of all five) for a member of W1."""
    actions.load_pack(text=PACK)
    unit_actions.create_member(unit=units["W1"], full_name="Hoa Nguyen", external_id="w1-0")
    actions.record_facts(
        kind="evaluations",
        rows=[{"member": "w1-0", "year": "2024", "rating": "excellent"}],
        source="test",
    )
    star = Title.objects.get(pack__slug="matrix", code="star")
    run = actions.run_evaluation(title=star, year=2024, scope=units["W1"])
    (made,) = actions.nominate(run=run)
    return made


def add(nomination, data=PDF, name="report.pdf", kind="report"):
    return dossiers.add_attachment(
        nomination=nomination, kind=kind, name=name, content=io.BytesIO(data), size=len(data)
    )


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (PDF, "report.pdf", "application/pdf"),
        (PNG, "photo.PNG", "image/png"),
        (JPEG, "photo.jpeg", "image/jpeg"),
        (
            DOCX,
            "report.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (XLSX, "figures.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (ODT, "report.odt", "application/vnd.oasis.opendocument.text"),
        (ODS, "figures.ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ],
)
def test_a_document_is_taken_by_its_content(nomination, data, name, expected):
    attachment = add(nomination, data, name)
    assert attachment.content_type == expected and attachment.size == len(data)
    assert not attachment.stored_as.endswith(name)  # a name of the storage's own
    with storages["attachments"].open(attachment.stored_as) as handle:
        assert handle.read() == data


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "report.pdf", "is not a PDF"),
        (PNG, "report.pdf", "named .pdf but its content is image/png"),
        (PDF, "report.exe", "named .exe but its content is application/pdf"),
        (_zip({"a.txt": b"x"}), "report.docx", "is not a PDF"),
        (b"PK\x03\x04 not really a zip", "report.xlsx", "is not a PDF"),
        (b"", "empty.pdf", "empty"),
    ],
)
def test_a_document_whose_content_is_not_a_dossier_kind_is_refused(nomination, data, name, message):
    with pytest.raises(ValidationFailed, match=message) as caught:
        add(nomination, data, name)
    assert caught.value.errors[0].field == "file"
    assert not NominationAttachment.objects.exists()
    assert not AuditEvent.objects.filter(action="titles.add_attachment").exists()


def test_a_document_over_the_limit_is_refused(nomination, settings):
    settings.TITLES_ATTACHMENT_MAX_BYTES = 30
    with pytest.raises(ValidationFailed, match="at most 30 are taken"):
        add(nomination, PDF)
    assert not NominationAttachment.objects.exists()


def test_withdrawal_marks_and_keeps_the_document_and_both_are_audited(nomination):
    attachment = add(nomination)
    with pytest.raises(ValidationFailed, match="reason"):
        dossiers.withdraw_attachment(attachment=attachment, reason="  ")
    dossiers.withdraw_attachment(attachment=attachment, reason="the wrong year's report")
    attachment.refresh_from_db()
    assert attachment.withdrawn_at is not None
    assert attachment.withdrawal_reason == "the wrong year's report"
    assert storages["attachments"].exists(attachment.stored_as)
    with pytest.raises(StateError, match="already withdrawn"):
        dossiers.withdraw_attachment(attachment=attachment, reason="again")
    assert sorted(
        AuditEvent.objects.filter(action__endswith="_attachment").values_list("action", flat=True)
    ) == ["titles.add_attachment", "titles.withdraw_attachment"]


def test_only_organisers_add_and_only_while_the_vote_is_open(nomination, council):
    with acting_as(actor_for(council[0])), pytest.raises(NotAllowed):
        add(nomination)
    actions.decide(nomination=nomination)
    with pytest.raises(StateError, match="closed"):
        add(nomination)


@pytest.fixture
def organiser(client, units):
    user = factories.UserFactory(username="organiser")
    grant_role(user=user, role=Role.ORGANISER, unit=units["KP"])
    client.force_login(user)
    return client


def test_the_dossier_page_uploads_lists_and_serves_only_to_those_who_may_see(
    organiser, nomination, units, council, django_assert_num_queries
):
    url = f"/titles/nominations/{nomination.pk}/"
    upload = SimpleUploadedFile("Báo cáo thành tích.pdf", PDF, content_type="text/html")
    response = organiser.post(url, {"kind": "report", "file": upload})
    assert response.status_code == 302 and response["Location"] == url
    attachment = NominationAttachment.objects.get()
    assert attachment.name == "Báo cáo thành tích.pdf"
    assert attachment.content_type == "application/pdf"  # read, not as the browser said

    disguised = SimpleUploadedFile("photo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = organiser.post(url, {"kind": "supporting", "file": disguised})
    assert response.status_code == 422
    assert "is not a PDF, an image" in response.content.decode()
    assert NominationAttachment.objects.count() == 1

    with django_assert_num_queries(7):
        page = organiser.get(url).content.decode()
    assert "Báo cáo thành tích.pdf" in page and "achievement report" in page
    assert "rated good or better" in page  # the explanation of eligibility
    assert f'href="/titles/runs/{nomination.candidate.run_id}/minutes.pdf"' in page

    download = organiser.get(f"/titles/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"

    # a viewer of another province sees neither the page nor the document
    stranger = factories.UserFactory(username="stranger")
    grant_role(user=stranger, role=Role.VIEWER, unit=units["P2"])
    client = Client()
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.get(f"/titles/attachments/{attachment.pk}/").status_code == 404
    # a council member reads it and votes from it, but adds nothing
    client.force_login(council[0])
    page = client.get(url).content.decode()
    assert 'name="choice" value="yes"' in page and "Add a document" not in page
    assert client.get(f"/titles/attachments/{attachment.pk}/").status_code == 200
    assert (
        client.post(url, {"kind": "report", "file": SimpleUploadedFile("r.pdf", PDF)}).status_code
        == 403
    )
    response = client.post(
        f"/titles/nominations/{nomination.pk}/vote/", {"choice": "yes", "back": "dossier"}
    )
    assert response["Location"] == url
    page = client.get(url).content.decode()
    assert "You voted yes." in page and 'name="choice"' not in page
    assert "Votes cast" not in page  # who voted how: for the organisers
    page = organiser.get(url).content.decode()
    assert "Votes cast" in page and "<td>council0</td>" in page

    response = organiser.post(
        f"/titles/attachments/{attachment.pk}/withdraw/", {"reason": "superseded"}
    )
    assert response["Location"] == url
    page = organiser.get(url).content.decode()
    assert "<s><a" in page and "superseded" in page


def _pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_the_minutes_count_the_recorded_votes_against_the_threshold(organiser, nomination, council):
    for user, choice in zip(council, ["yes", "yes", "no", "abstain"], strict=False):
        with acting_as(actor_for(user)):
            actions.cast_vote(nomination=nomination, choice=choice)
    run = nomination.candidate.run
    text = " ".join(_pdf_text(organiser.get(f"/titles/runs/{run.pk}/minutes.pdf").content).split())
    assert "Star worker · 2024 · Unit W1" in text
    assert "Hoa Nguyen" in text and "Threshold yes >= 50% of all council members" in text
    # 5 members, 4 present: 2 yes, 1 no, 1 abstain, 2 of 5 = 40.0%: not yet carried
    assert "5 4 2 1 1 40.0%" in text and "vote open, so far" in text
    assert "needs >= 50%: not carried" not in text
    actions.decide(nomination=nomination)
    text = " ".join(_pdf_text(organiser.get(f"/titles/runs/{run.pk}/minutes.pdf").content).split())
    assert "40.0% not carried" in text and "needs >= 50%: not carried" in text


def test_the_dossier_through_the_api(nomination, units, council):
    from tests.api.conftest import post, problem
    from tests.titles.test_api import bearer

    organiser = factories.UserFactory(username="api-organiser")
    grant_role(user=organiser, role=Role.ORGANISER, unit=units["KP"])
    api = bearer(organiser)
    url = f"/api/v1/titles/nominations/{nomination.pk}/attachments"
    response = api.post(url, {"kind": "supporting", "file": SimpleUploadedFile("t.xlsx", XLSX)})
    assert response.status_code == 201, response.content
    added = response.json()
    assert added["content_type"].endswith("spreadsheetml.sheet") and added["size"] == len(XLSX)
    assert added["url"] == f"/api/v1/titles/attachments/{added['id']}"
    refused = api.post(url, {"kind": "report", "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00")})
    body = problem(refused, 422)
    assert body["errors"][0]["field"] == "file" and "is not a PDF" in body["errors"][0]["message"]

    download = bearer(council[0]).get(added["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == XLSX
    assert download["Content-Disposition"].startswith("attachment;")
    stranger = factories.UserFactory(username="stranger")
    grant_role(user=stranger, role=Role.ORGANISER, unit=units["P2"])
    assert bearer(stranger).get(added["url"]).status_code == 404
    assert bearer(stranger).get(url).status_code == 404

    withdrawn = post(
        api, f"/api/v1/titles/attachments/{added['id']}/withdrawal", {"reason": "not needed"}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawal_reason"] == "not needed"
    (listed,) = api.get(url).json()
    assert listed["withdrawn_at"] is not None
    minutes = api.get(f"/api/v1/titles/runs/{nomination.candidate.run_id}/minutes")
    assert minutes.status_code == 200 and minutes.content.startswith(b"%PDF")
