"""`pacesetter import-practices`: practices and adoptions from YAML or CSV, checked whole first,
errors by row and field, all or nothing, idempotent by key; `export-practices` writes them back."""

import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from pacesetter.audit.models import AuditEvent
from pacesetter.experience import selectors
from pacesetter.experience.models import Adoption, Practice

pytestmark = pytest.mark.django_db


def document(world) -> dict:
    slug = world["movement"].slug
    return {
        "practices": [
            {
                "key": "two-shifts",
                "movement": slug,
                "unit": "P2",
                "title": "Two shifts on the furnace",
                "text": "We **split** the crew.",
                "indicators": ["steel", "losses"],
                "period": "",
            },
            {
                "key": "three-crews",
                "movement": slug,
                "unit": "W1",
                "title": "Three crews",
                "text": "Adapted.",
                "indicators": ["steel"],
                "adapted_from": "two-shifts",
            },
        ],
        "adoptions": [
            {"practice": "two-shifts", "movement": slug, "unit": "W1", "adopted_on": "2025-03-01"},
            {"practice": "three-crews", "movement": slug, "unit": "W2", "note": "From Monday"},
        ],
    }


def run(path, *args) -> str:
    out = io.StringIO()
    call_command("import_practices", str(path), *args, stdout=out)
    return out.getvalue()


def test_import_publishes_adopts_and_is_idempotent(world, tmp_path):
    path = tmp_path / "practices.yaml"
    path.write_text(yaml.safe_dump(document(world)))
    out = run(path)
    assert "2 practice(s) were published, 2 adoption(s) were recorded" in out
    first, second = Practice.objects.order_by("pk")
    assert (first.key, second.adapted_from) == ("two-shifts", first)
    assert [i.code for i in selectors.indicators_of(first)] == ["steel", "losses"]
    assert Adoption.objects.get(practice=second).note == "From Monday"
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("experience.publish_practice") == 2
    assert actions.count("experience.adopt_practice") == 2
    assert "4 row(s) already held" in run(path)  # the same file again changes nothing
    assert Practice.objects.count() == 2 and Adoption.objects.count() == 2


def test_every_problem_by_row_and_field_and_nothing_imported(world, tmp_path):
    bad = document(world)
    bad["practices"][0]["indicators"] = ["steel", "nope"]
    bad["practices"][1]["adapted_from"] = "missing"
    bad["practices"][1]["colour"] = "red"
    bad["adoptions"][0]["unit"] = "ZZ"
    bad["adoptions"][1]["adopted_on"] = "1 March"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_practices", str(path), stdout=out)
    text = out.getvalue()
    for where in (
        "practices.indicators",
        "practices.adapted_from",
        "practices.colour",
        "adoptions.unit",
        "adoptions.adopted_on",
    ):
        assert where in text
    assert "nope" in text and "'ZZ'" in text
    assert not Practice.objects.exists() and not Adoption.objects.exists()


def test_a_refusal_by_an_action_rolls_back_the_whole_file(world, tmp_path):
    bad = document(world)
    bad["adoptions"].append(
        {"practice": "two-shifts", "movement": world["movement"].slug, "unit": "P2"}
    )  # the publisher adopting its own: refused by adopt_practice, after the rows before it
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_practices", str(path), stdout=out)
    assert "adoptions.unit" in out.getvalue()
    assert not Practice.objects.exists() and not Adoption.objects.exists()


def test_csv_files_and_dry_run(world, tmp_path):
    slug = world["movement"].slug
    practices = tmp_path / "practices.csv"
    practices.write_text(
        "key,movement,unit,title,text,indicators,period\n"
        f"two-shifts,{slug},P2,Two shifts,How we split the crew.,steel;losses,\n"
    )
    adoptions = tmp_path / "adoptions.csv"
    adoptions.write_text(
        f"practice,movement,unit,adopted_on,note\ntwo-shifts,{slug},W1,2025-03-01,\n"
    )
    assert "would be published" in run(practices, "--dry-run")
    assert not Practice.objects.exists()
    run(practices)
    run(adoptions)
    practice = Practice.objects.get()
    assert [i.code for i in selectors.indicators_of(practice)] == ["steel", "losses"]
    assert Adoption.objects.get().unit.code == "W1"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"practice,movement,unit\nnone-such,{slug},W2\n")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_practices", str(bad), stdout=out)
    assert "adoptions.practice" in out.getvalue() and "none-such" in out.getvalue()


def test_export_reads_back(world, tmp_path):
    path = tmp_path / "practices.yaml"
    path.write_text(yaml.safe_dump(document(world)))
    run(path)
    out = io.StringIO()
    call_command("export_practices", world["movement"].slug, stdout=out)
    exported = yaml.safe_load(out.getvalue())
    assert [p["key"] for p in exported["practices"]] == ["two-shifts", "three-crews"]
    assert exported["practices"][1]["adapted_from"] == "two-shifts"
    assert {a["unit"] for a in exported["adoptions"]} == {"W1", "W2"}
    again = tmp_path / "again.yaml"
    again.write_text(out.getvalue())
    assert "4 row(s) already held" in run(again)
