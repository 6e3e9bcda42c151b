import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from pacesetter.voices.models import Voice

HEADER = "key,topic,unit,subject,text,person,anonymous\n"
GOOD = HEADER + (
    "v1,housing,W1,Roof,Leaks in block 4,Ri Sun Hui,\nv2,roads,W1,Pothole,On the bridge,,yes\n"
)


def test_import_is_all_or_nothing_and_idempotent(units, topic, county_topic, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "v1,housing,W1,Roof,Leaks,Ri Sun Hui,\n"
        + "v1,nope,ZZ,,x,,\n"
        + "v3,housing,W1,S,T,Kim,yes\n"
    )
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_voices", str(bad), stdout=out)
    assert "2 of 3 rows are not valid" in str(refused.value)
    table = out.getvalue()
    for expected in ("also on row", "no topic 'nope'", "no unit 'ZZ' here", "an anonymous voice"):
        assert expected in table
    assert " 3 " in table and not Voice.objects.exists()  # row numbers as in the spreadsheet
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    call_command("import_voices", str(good), stdout=out)
    assert "raised 2 voices; 0 were there already" in out.getvalue()
    call_command("import_voices", str(good), stdout=out)
    assert "raised 0 voices; 2 were there already" in out.getvalue()
    named, anonymous = Voice.objects.order_by("key")
    assert (named.on_behalf_of, named.routed_to.code) == ("Ri Sun Hui", "W1")
    assert (anonymous.anonymous, anonymous.on_behalf_of, anonymous.routed_to.code) == (
        True,
        "",
        "C1",
    )


def test_the_upload_page(units, people, topic, county_topic, client):
    client.force_login(people["member"])
    url = reverse("voices-import", args=["W1"])
    assert client.get(url).status_code == 403
    client.force_login(people["head"])
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("v.csv", (HEADER + "v1,housing,W1,,x,Kim,\n").encode())
    page = client.post(url, {"file": bad})
    assert page.status_code == 422 and 'data-row="2"' in page.content.decode()
    wrong_type = SimpleUploadedFile("v.txt", b"x")
    assert client.post(url, {"file": wrong_type}).status_code == 422
    good = SimpleUploadedFile("v.csv", GOOD.replace(",roads,", ",housing,").encode())
    done = client.post(url, {"file": good})
    assert done.status_code == 302 and Voice.objects.count() == 2
