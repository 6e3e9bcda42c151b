"""`pacesetter load-title-pack` and `pacesetter import-title-facts`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from pacesetter.titles.models import Judgement, PackRevision, YearlyEvaluation

pytestmark = pytest.mark.django_db


def test_load_a_shipped_pack_by_name_then_a_broken_file(tmp_path):
    out = io.StringIO()
    call_command("load_title_pack", "production", stdout=out)
    assert (
        "revision 1 (labour_innovator, chollima_workteam, model_unit, team_of_the_month)"
        in out.getvalue()
    )
    broken = tmp_path / "pack.yaml"
    broken.write_text("pack: x\nname: X\ntitles:\n  - code: a\n    subject: nobody\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_title_pack", str(broken), stdout=out)
    assert "a title needs 'name'" in out.getvalue()
    assert PackRevision.objects.count() == 1


def test_import_facts_all_or_nothing_with_file_rows(tmp_path, people):
    bad = tmp_path / "evaluations.csv"
    bad.write_text("member,year,rating\nw1-0,2024,good\nw1-1,2024,great\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 rows are not valid"):
        call_command("import_title_facts", str(bad), kind="evaluations", stdout=out)
    assert "great" in out.getvalue()
    assert not YearlyEvaluation.objects.exists()
    good = tmp_path / "good.csv"
    good.write_text("member,year,rating,months_worked\nw1-0,2024,good,12\nw1-1,2024,good,7.5\n")
    out = io.StringIO()
    call_command("import_title_facts", str(good), kind="evaluations", stdout=out)
    assert "recorded 2 evaluations" in out.getvalue()
    assert YearlyEvaluation.objects.get(member=people["w1-1"]).source == "good.csv row 3"


@pytest.mark.parametrize(
    ("kind", "text", "field"),
    [
        (
            "evaluations",
            "member,year,rating\nw1-0,2024,good\nw1-1,2024,good\nw1-0,2024,excellent\n",
            "year",
        ),
        (
            "judgements",
            "member,year,name,value\nw1-0,2024,exemplary,yes\nw1-0,2023,exemplary,yes\n"
            "w1-0,2024,exemplary,no\n",
            "name",
        ),
    ],
)
def test_import_facts_refuses_a_subject_twice_in_one_file(tmp_path, people, kind, text, field):
    """Two rows for one subject and year (and name) once ended in a raw IntegrityError: the
    second is a row error naming the first, and nothing is written."""
    YearlyEvaluation.objects.create(member=people["w1-0"], year=2024, rating="good", source="old")
    path = tmp_path / f"{kind}.csv"
    path.write_text(text)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 3 rows are not valid; nothing was recorded"):
        call_command("import_title_facts", str(path), kind=kind, stdout=out)
    table = " ".join(out.getvalue().split())
    assert f"4 │ {field} │ repeats row 2" in table
    # nothing written, and the earlier evaluation is still there
    assert list(YearlyEvaluation.objects.values_list("source", flat=True)) == ["old"]
    assert not Judgement.objects.exists()


def test_import_facts_needs_a_subject_column(tmp_path, people):
    path = tmp_path / "j.csv"
    path.write_text("year,name,value\n2024,outstanding,yes\n")
    with pytest.raises(CommandError, match="'member' or 'unit' column"):
        call_command("import_title_facts", str(path), kind="judgements")


def test_load_title_pack_acting_as_someone_without_an_organiser_role_is_refused(units):
    from pacesetter.accounts.actions import grant_role
    from pacesetter.accounts.permissions import acting_as, actor_for
    from tests import factories

    reporter = factories.UserFactory(username="reporter-only")
    grant_role(user=reporter, role="reporter", unit=units["C1"])
    with acting_as(actor_for(reporter)), pytest.raises(CommandError, match="Only organisers"):
        call_command("load_title_pack", "production", stdout=io.StringIO())
    assert not PackRevision.objects.exists()


def test_import_facts_from_a_semicolon_export_with_a_byte_order_mark(tmp_path, people):
    path = tmp_path / "evaluations.csv"
    path.write_bytes("\ufeffmember;year;rating\r\nw1-0;2024;good\r\n".encode())
    call_command("import_title_facts", str(path), kind="evaluations", stdout=io.StringIO())
    assert YearlyEvaluation.objects.get().member == people["w1-0"]


def test_import_awards_dry_run_then_import_then_rerun(tmp_path, vn_pack, people):
    from pacesetter.titles.models import Award

    path = tmp_path / "history.csv"
    path.write_bytes(
        "\ufeffmember;title;year;awarding_body;decision_number;decision_date\r\n"
        "w1-0;grassroots_fighter;2016;Director;16/QD;2016-12-28\r\n"
        "w1-0;grassroots_fighter;2017;Director;17/QD;2017-12-28\r\n".encode()
    )
    out = io.StringIO()
    call_command("import_awards", str(path), pack="vn-emulation", dry_run=True, stdout=out)
    assert (
        "would import 2 awards" in out.getvalue() and "Dry run: nothing written." in out.getvalue()
    )
    assert not Award.objects.exists()
    out = io.StringIO()
    call_command("import_awards", str(path), pack="vn-emulation", stdout=out)
    assert "imported 2 awards; 0 already recorded" in out.getvalue()
    assert list(Award.objects.order_by("year").values_list("year", "times", "origin")) == [
        (2016, 1, "imported"),
        (2017, 2, "imported"),
    ]
    out = io.StringIO()
    call_command("import_awards", str(path), pack="vn-emulation", stdout=out)
    assert "imported 0 awards; 2 already recorded" in out.getvalue()


def test_import_awards_lists_bad_rows_by_file_row(tmp_path, vn_pack, people):
    from pacesetter.titles.models import Award

    path = tmp_path / "history.csv"
    path.write_text(
        "member,title,year,awarding_body,decision_number,decision_date\n"
        "w1-0,advanced_worker,2019,Director,1/QD,2019-12-28\n"
        "w1-0,advanced_worker,2019,Director,1/QD,2019-12-28\n"
        "w1-0,advanced_worker,2099,Director,2/QD,2019-12-28\n"
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 of 3 rows are not valid; nothing was recorded"):
        call_command("import_awards", str(path), pack="vn-emulation", stdout=out)
    assert "the same award as row 2" in out.getvalue() and "2099 is in the future" in out.getvalue()
    assert not Award.objects.exists()
    with pytest.raises(CommandError, match="No rule pack 'nope'"):
        call_command("import_awards", str(path), pack="nope")
