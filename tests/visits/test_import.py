import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from pacesetter.visits.models import UnitVisitYear, Visit

GOOD = (
    "key,unit,date,purpose,visitors,guest_names,findings\n"
    "a1,W1,2024-03-01,Sowing,head,Ri Myong Su; Pak,Seed late\n"
    "a2,W2,2024-03-02,Sowing,,Kim,\n"
    "a3,W1,2024-04-01,Harvest,head;organiser,,\n"
)


def run(tmp_path, text, name="visits.csv"):
    path = tmp_path / name
    path.write_text(text)
    out = io.StringIO()
    call_command("import_visits", str(path), stdout=out)
    return out.getvalue()


def test_import_then_rerun_replays(units, people, tmp_path):
    out = run(tmp_path, GOOD)
    assert "recorded" in out and Visit.objects.count() == 3
    w1 = Visit.objects.filter(unit=units["W1"]).order_by("visited_on").first()
    assert w1.guest_names == ["Ri Myong Su", "Pak"] and w1.findings == "Seed late"
    assert UnitVisitYear.objects.get(unit=units["W1"]).visits == 2
    out = run(tmp_path, GOOD)
    assert Visit.objects.count() == 3 and UnitVisitYear.objects.get(unit=units["W1"]).visits == 2
    assert "already there" in out


def test_every_bad_row_is_named_by_its_file_row_and_nothing_is_recorded(units, people, tmp_path):
    bad = GOOD + (
        "a4,NOPE,2024-03-01,Sowing,head,,\n"
        "a5,W1,someday,Sowing,ghost,,\n"
        "a1,W1,2024-03-01,Other,head,,\n"
    )
    out = io.StringIO()
    path = tmp_path / "bad.csv"
    path.write_text(bad)
    with pytest.raises(CommandError, match="3 of 6 rows are not valid"):
        call_command("import_visits", str(path), stdout=out)
    text = out.getvalue()
    cells = [[c.strip() for c in line.split("│")[1:4]] for line in text.splitlines() if "│" in line]
    assert cells == [
        ["5", "unit", "no unit 'NOPE'"],
        ["6", "visited_on", "a date, YYYY-MM-DD"],
        ["6", "visitors", "no active user 'ghost'"],
        ["7", "key", "the same key as row 2"],
    ]
    assert not Visit.objects.exists()


def test_a_row_without_key_is_refused(units, tmp_path):
    with pytest.raises(CommandError, match="no key"):
        run(tmp_path, "key,unit,visited_on,purpose\n,W1,2024-03-01,x\n")


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_upload_page_records_a_workbook_and_lists_bad_rows(units, people, client):
    client.force_login(people["head"])
    url = reverse("visits-import")
    assert client.get(url).status_code == 200
    good = _xlsx(
        [
            ["key", "unit", "visited_on", "purpose", "guest_names"],
            ["x1", "W1", "2024-03-01", "Sowing", "Kim"],
            ["x2", "C1", "2024-03-02", "Sowing", "Kim"],
        ]
    )
    done = client.post(url, {"file": SimpleUploadedFile("v.xlsx", good)})
    assert done.status_code == 302 and Visit.objects.count() == 2
    bad = _xlsx(
        [
            ["key", "unit", "visited_on", "purpose", "guest_names"],
            ["x3", "W3", "2024-03-01", "Sowing", "Kim"],  # C2's branch: not the head's
            ["x4", "W2", "2024-03-01", "", "Kim"],
        ]
    )
    refused = client.post(url, {"file": SimpleUploadedFile("v.xlsx", bad)})
    text = refused.content.decode()
    assert refused.status_code == 422 and 'data-row="2"' in text and 'data-row="3"' in text
    assert Visit.objects.count() == 2
    client.force_login(people["reporter"])
    assert client.get(url).status_code == 403
