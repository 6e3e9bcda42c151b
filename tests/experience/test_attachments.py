"""A practice's pictures and PDFs: judged by their content and size, stored in the attachments
storage, served only to those who may see the practice; a refused file leaves nothing behind."""

import io

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InternalError, transaction
from django.urls import reverse

from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import NotAllowed, ValidationFailed
from pacesetter.experience import actions
from pacesetter.experience.attachments import Upload
from pacesetter.experience.models import Practice, PracticeAttachment
from tests import factories

from .conftest import publish

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
PDF = b"%PDF-1.4\n%%EOF\n"
HTML = b"<html><script>alert(1)</script></html>"


def upload(name: str, data: bytes, caption: str = "") -> Upload:
    return Upload(name=name, content=io.BytesIO(data), size=len(data), caption=caption)


def stored_files() -> set[str]:
    """Every file the attachments storage holds under practices/."""
    storage = storages["attachments"]
    found: set[str] = set()
    pending = ["practices"]
    while pending:
        folder = pending.pop()
        try:
            folders, names = storage.listdir(folder)
        except FileNotFoundError:
            continue
        found |= {f"{folder}/{name}" for name in names}
        pending += [f"{folder}/{sub}" for sub in folders]
    return found


def test_publish_with_pictures_and_a_pdf(world):
    practice = publish(
        world,
        attachments=[
            upload("line.png", PNG, "The assembly line"),
            upload("crane.JPG", JPEG),
            upload("panel.webp", WEBP),
            upload("method.pdf", PDF),
        ],
    )
    found = list(practice.attachments.order_by("pk"))
    assert [(a.name, a.content_type) for a in found] == [
        ("line.png", "image/png"),
        ("crane.JPG", "image/jpeg"),
        ("panel.webp", "image/webp"),
        ("method.pdf", "application/pdf"),
    ]
    assert found[0].alt == "The assembly line" and found[1].alt == "crane.JPG"
    with storages["attachments"].open(found[3].stored_as) as handle:
        assert handle.read() == PDF
    assert not found[0].stored_as.endswith("line.png")  # a name of the storage's own


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("page.pdf", HTML, "wrong_type"),  # named a PDF, is not one
        ("picture.png", PDF, "wrong_type"),  # a PDF named as a picture
        ("program.exe", b"MZ\x90\x00" + b"\x00" * 40, "wrong_type"),
        ("big.png", PNG + b"\x00" * 2000, "too_large"),
        ("empty.pdf", b"", "required"),
    ],
)
def test_a_refused_file_publishes_nothing_and_stores_nothing(world, settings, name, data, code):
    settings.PRACTICE_ATTACHMENT_MAX_BYTES = 1000
    before = stored_files()
    with pytest.raises(ValidationFailed) as refused:
        publish(world, attachments=[upload("good.png", PNG), upload(name, data)])
    (error,) = refused.value.errors
    assert (error.field, error.row, error.code) == ("attachments", 2, code)
    assert name in error.message
    assert not Practice.objects.exists() and not PracticeAttachment.objects.exists()
    assert stored_files() == before


def test_adding_to_a_practice_is_audited_and_for_its_publisher(world):
    practice = publish(world)
    added = actions.add_attachments(practice=practice, attachments=[upload("a.pdf", PDF)])
    assert [a.practice for a in added] == [practice]
    assert AuditEvent.objects.filter(action="experience.add_attachments").count() == 1
    reporter = factories.UserFactory(username="reporter-p2")  # sees P2, does not plan for it
    Grant.objects.create(user=reporter, role=Role.REPORTER, unit=world["units"]["P2"])
    before = stored_files()
    with acting_as(actor_for(reporter)), pytest.raises(NotAllowed):
        actions.add_attachments(practice=practice, attachments=[upload("b.pdf", PDF)])
    assert stored_files() == before and practice.attachments.count() == 1


def test_attachment_rows_are_append_only(world):
    practice = publish(world, attachments=[upload("a.pdf", PDF)])
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        PracticeAttachment.objects.filter(practice=practice).update(caption="changed")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        PracticeAttachment.objects.filter(practice=practice).delete()


def test_pages_upload_show_and_serve(client, user, world, settings):
    settings.PRACTICE_ATTACHMENT_MAX_BYTES = 1000
    client.force_login(user)
    url = reverse("practice-publish", args=[world["movement"].slug])
    fields = {
        "unit": "P2",
        "title": "Flow-line assembly",
        "text": "Panels made on the ground, lifted in place.",
        "indicator": "steel",
        "period": str(world["whole"].pk),
    }
    before = stored_files()
    refused = client.post(url, {**fields, "attachments": [SimpleUploadedFile("fake.pdf", HTML)]})
    assert refused.status_code == 422 and not Practice.objects.exists()
    assert b"fake.pdf is not a picture" in refused.content and stored_files() == before
    response = client.post(
        url,
        {
            **fields,
            "attachments": [
                SimpleUploadedFile("line.png", PNG),
                SimpleUploadedFile("method.pdf", PDF),
            ],
        },
    )
    practice = Practice.objects.get()
    assert response.status_code == 302 and practice.attachments.count() == 2
    detail = reverse("practice-detail", args=[practice.pk])
    attach = reverse("practice-attach", args=[practice.pk])
    too_large = client.post(attach, {"file": SimpleUploadedFile("big.png", PNG * 100)})
    assert too_large.status_code == 422 and b"at most 1,000 are taken" in too_large.content
    assert practice.attachments.count() == 2
    assert (
        client.post(
            attach, {"file": SimpleUploadedFile("site.jpg", JPEG), "caption": "The site at dawn"}
        ).status_code
        == 302
    )
    page = client.get(detail).content.decode()
    picture, pdf, photo = practice.attachments.order_by("pk")
    assert f'src="{reverse("practice-attachment", args=[picture.pk])}" alt="line.png"' in page
    assert f'src="{reverse("practice-attachment", args=[photo.pk])}" alt="The site at dawn"' in page
    assert f'<a href="{reverse("practice-attachment", args=[pdf.pk])}">method.pdf</a>' in page
    served = client.get(reverse("practice-attachment", args=[picture.pk]))
    assert served["Content-Type"] == "image/png" and b"".join(served.streaming_content) == PNG
    assert served["X-Content-Type-Options"] == "nosniff"
    download = client.get(reverse("practice-attachment", args=[pdf.pk]))
    assert download["Content-Disposition"].startswith("attachment")


def test_served_only_to_who_may_see_the_movement(client, world):
    practice = publish(world, attachments=[upload("a.pdf", PDF)])
    url = reverse("practice-attachment", args=[practice.attachments.get().pk])
    assert client.get(url).status_code == 302  # to sign in: the movement is not public
    outsider = factories.UserFactory(username="outsider")
    elsewhere = factories.unit("XX", None)
    Grant.objects.create(user=outsider, role=Role.UNIT_HEAD, unit=elsewhere)
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_api_multipart(client, user, world, settings):
    settings.PRACTICE_ATTACHMENT_MAX_BYTES = 1000
    client.force_login(user)
    practice = publish(world)
    url = f"/api/v1/practices/{practice.pk}/attachments"
    created = client.post(url, {"file": SimpleUploadedFile("m.pdf", PDF), "caption": "Method"})
    assert created.status_code == 201, created.content
    assert created.json()["content_type"] == "application/pdf"
    before = stored_files()
    refused = client.post(url, {"file": SimpleUploadedFile("m.webp", PDF)})
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "file" and stored_files() == before
    listed = client.get(url).json()
    assert [a["name"] for a in listed] == ["m.pdf"]
    served = client.get(f"/api/v1/practices/attachments/{listed[0]['id']}")
    assert b"".join(served.streaming_content) == PDF
