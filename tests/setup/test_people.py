"""The `people:` section of a setup file: people and their roles, declarative and idempotent,
through the accounts' actions (rights checked, audited); and `pacesetter set-password`."""

import stat
import textwrap

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.test import Client

from pacesetter.accounts.models import Grant
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from tests import factories

PEOPLE = textwrap.dedent(
    """\
    people:
      - username: amina
        name: Amina Diallo
        email: amina@example.org
        grants:
          - {role: organiser, unit: P1}
          - {role: reporter, unit: W1}
      - username: kofi
        name: Kofi Mensah
        grants:
          - {role: unit_head, unit: C1}
    """
)


def _apply(cli, tmp_path, text, *flags):
    path = tmp_path / "people.yaml"
    path.write_text(text)
    return cli("apply", str(path), *flags)


def _standing(username):
    return sorted(
        (g.role, g.unit.code)
        for g in Grant.objects.filter(user__username=username, withdrawn_at__isnull=True)
    )


def test_people_and_grants_are_created_once_with_a_set_password_link(cli, units, tmp_path):
    first = _apply(cli, tmp_path, PEOPLE)
    assert first.code == 0, first.out + first.err
    lines = [line.strip() for line in first.out.splitlines()[1:]]
    assert lines[0].startswith("create person amina (Amina Diallo); set-password link: /accounts/")
    assert lines[1:3] == [
        "grant amina the role organiser on P1",
        "grant amina the role reporter on W1",
    ]
    amina = get_user_model().objects.get(username="amina")
    assert (amina.first_name, amina.email, amina.is_active) == (
        "Amina Diallo",
        "amina@example.org",
        True,
    )
    assert not amina.has_usable_password()  # a file never carries a password
    assert _standing("amina") == [("organiser", "P1"), ("reporter", "W1")]
    assert _standing("kofi") == [("unit_head", "C1")]
    assert AuditEvent.objects.filter(action="accounts.grant_role").count() == 3
    # The printed link is the people page's: it opens the set-password form.
    link = lines[0].split("set-password link: ")[1]
    assert Client().get(link, follow=True).status_code == 200
    again = _apply(cli, tmp_path, PEOPLE)
    assert (again.code, "no change" in again.out) == (0, True), again.out


def test_a_changed_file_grants_withdraws_and_switches_off_only_what_changed(cli, units, tmp_path):
    assert _apply(cli, tmp_path, PEOPLE).code == 0
    kofi = get_user_model().objects.get(username="kofi")
    with acting_as(actor_for(factories.UserFactory(username="op", is_superuser=True))):
        from pacesetter.accounts.actions import grant_role
        from pacesetter.units.models import Unit

        # A grant on a unit the file does not cover is none of its business.
        grant_role(user=kofi, role="viewer", unit=Unit.objects.get(code="P2"))
    changed = (
        PEOPLE.replace("      - {role: reporter, unit: W1}\n", "")
        .replace(
            "{role: unit_head, unit: C1}",
            "{role: unit_head, unit: C2}\n      - {role: reporter, unit: W1}",
        )
        .replace("name: Kofi Mensah\n", "name: Kofi Mensah\n    active: false\n")
    )
    outcome = _apply(cli, tmp_path, changed)
    assert outcome.code == 0, outcome.out + outcome.err
    lines = [line.strip() for line in outcome.out.splitlines()[1:]]
    # W1 is still named (kofi's grant), so amina's role there goes; C1 is named nowhere
    # now, so kofi's role there stays (a file speaks only for the units it names).
    assert lines == [
        "withdraw amina's role reporter on W1",
        "deactivate person kofi",
        "grant kofi the role unit_head on C2",
        "grant kofi the role reporter on W1",
    ]
    assert _standing("amina") == [("organiser", "P1")]
    assert _standing("kofi") == [
        ("reporter", "W1"),
        ("unit_head", "C1"),
        ("unit_head", "C2"),
        ("viewer", "P2"),
    ]
    assert not get_user_model().objects.get(username="kofi").is_active
    assert Grant.objects.filter(withdrawn_at__isnull=False).count() == 1  # kept, withdrawn
    back = _apply(cli, tmp_path, changed.replace("active: false", "active: true"))
    assert [line.strip() for line in back.out.splitlines()[1:]] == ["reactivate person kofi"]


def test_a_dry_run_prints_the_plan_and_creates_nobody(cli, units, tmp_path):
    outcome = _apply(cli, tmp_path, PEOPLE, "--dry-run")
    assert outcome.code == 0 and "would change (dry run: nothing changed)" in outcome.out
    assert "create person amina (Amina Diallo)" in outcome.out
    assert "set-password link" not in outcome.out  # a link to nobody
    assert not get_user_model().objects.filter(username="amina").exists()
    assert not Grant.objects.exists()


def test_an_organiser_grants_only_within_their_subtree(cli, units, tmp_path):
    head = factories.UserFactory(username="head")
    with acting_as(actor_for(factories.UserFactory(username="op", is_superuser=True))):
        from pacesetter.accounts.actions import grant_role

        grant_role(user=head, role="organiser", unit=units["P1"])
    with acting_as(actor_for(head)):
        inside = _apply(cli, tmp_path, PEOPLE)
        assert inside.code == 0, inside.out + inside.err
        outside = _apply(cli, tmp_path, PEOPLE.replace("unit: W1}", "unit: W4}"))
    assert outside.code == 1 and "nothing was changed" in outside.err
    assert "people[1].grants[2]" in outside.out and "may not grant" in outside.out
    assert ("reporter", "W4") not in _standing("amina")


def test_problems_are_named_by_line(cli, units, tmp_path):
    bad = PEOPLE.replace("role: reporter", "role: boss").replace(
        "name: Kofi Mensah", "name: Kofi Mensah\n    colour: red"
    )
    outcome = _apply(cli, tmp_path, bad)
    assert outcome.code == 1
    assert "people[1].grants[2].role" in outcome.out and "people[2].colour" in outcome.out


def test_a_changed_name_and_email_are_applied_once_with_a_change_line(cli, units, tmp_path):
    assert _apply(cli, tmp_path, PEOPLE).code == 0
    changed = PEOPLE.replace("Kofi Mensah", "Kofi A. Mensah").replace(
        "amina@example.org", "amina@example.net"
    )
    planned = _apply(cli, tmp_path, changed, "--dry-run")
    assert "change person kofi: name 'Kofi Mensah' → 'Kofi A. Mensah'" in planned.out
    assert get_user_model().objects.get(username="kofi").first_name == "Kofi Mensah"
    applied = _apply(cli, tmp_path, changed)
    assert applied.code == 0, applied.out + applied.err
    assert [line.strip() for line in applied.out.splitlines()[1:]] == [
        "change person amina: email 'amina@example.org' → 'amina@example.net'",
        "change person kofi: name 'Kofi Mensah' → 'Kofi A. Mensah'",
    ]
    assert get_user_model().objects.get(username="kofi").first_name == "Kofi A. Mensah"
    assert get_user_model().objects.get(username="amina").email == "amina@example.net"
    event = AuditEvent.objects.filter(action="accounts.update_user").order_by("pk").last()
    assert event.before == {"name": "Kofi Mensah", "email": ""}
    again = _apply(cli, tmp_path, changed)
    assert (again.code, "no change" in again.out) == (0, True), again.out
    # A file without `email` leaves the stored one alone.
    assert _apply(cli, tmp_path, changed.replace("    email: amina@example.net\n", "")).code == 0
    assert get_user_model().objects.get(username="amina").email == "amina@example.net"


def test_a_bad_email_is_named_by_its_place(cli, units, tmp_path):
    assert _apply(cli, tmp_path, PEOPLE).code == 0
    outcome = _apply(cli, tmp_path, PEOPLE.replace("amina@example.org", "amina-at-home"))
    assert outcome.code == 1 and "people[1].email" in outcome.out, outcome.out
    assert "│    4 │ people[1].email │ not an email address" in outcome.out, outcome.out


def test_the_demo_login_made_by_older_code_without_a_name_is_named(cli, units, tmp_path):
    """`pacesetter demo` on an installation whose `demo` user was created with an empty name:
    its people file now names the person instead of being refused."""
    from pacesetter.demo.movements import PEOPLE as DEMO_PEOPLE

    factories.UserFactory(username="demo", first_name="", email="")
    outcome = cli("apply", str(DEMO_PEOPLE))
    assert outcome.code == 0, outcome.out + outcome.err
    assert "change person demo: name '' → 'Demo organiser'" in outcome.out
    assert get_user_model().objects.get(username="demo").first_name == "Demo organiser"
    again = cli("apply", str(DEMO_PEOPLE))
    assert (again.code, "no change" in again.out) == (0, True), again.out


def test_export_with_people_reads_back_unchanged(cli, units, tmp_path):
    from tests.setup.test_apply import SETUP

    assert _apply(cli, tmp_path, SETUP + PEOPLE).code == 0
    assert "people" not in yaml.safe_load(cli("export", "kiln-repair").out)
    exported = cli("export", "kiln-repair", "--people")
    document = yaml.safe_load(exported.out)
    # W1 is outside the movement's tree (BT under C1): its grant is not written …
    assert document["people"] == [
        {
            "username": "amina",
            "name": "Amina Diallo",
            "email": "amina@example.org",
            "grants": [{"role": "organiser", "unit": "P1"}],
        },
        {
            "username": "kofi",
            "name": "Kofi Mensah",
            "grants": [{"role": "unit_head", "unit": "C1"}],
        },
    ]
    again = _apply(cli, tmp_path, exported.out)
    assert again.code == 0 and "no change" in again.out, again.out
    # … and applying the export back does not withdraw it.
    assert _standing("amina") == [("organiser", "P1"), ("reporter", "W1")]


# ─── set-password ───


def test_set_password_from_the_environment_never_echoed(cli, db, monkeypatch):
    person = factories.UserFactory(username="amina")
    monkeypatch.setenv("PACESETTER_PASSWORD", "a-sound-long-password-1")
    outcome = cli("set_password", "amina")
    assert outcome.code == 0 and "a-sound-long-password-1" not in outcome.out + outcome.err
    person.refresh_from_db()
    assert person.check_password("a-sound-long-password-1")
    event = AuditEvent.objects.get(action="accounts.set_password")
    assert "a-sound-long-password-1" not in str(event.__dict__)


def test_set_password_random_written_and_kept(cli, db, tmp_path, monkeypatch):
    monkeypatch.delenv("PACESETTER_PASSWORD", raising=False)
    person = factories.UserFactory(username="amina")
    assert cli("set_password", "amina").code != 0  # no password from anywhere
    assert cli("set_password", "amina", "--random").code != 0  # a random one lost
    login = tmp_path / "login.txt"
    assert cli("set_password", "amina", "--random", "--write", str(login), "--keep").code == 0
    name, _, password = login.read_text().strip().partition(" / ")
    assert name == "amina" and len(password) >= 16
    assert stat.S_IMODE(login.stat().st_mode) == 0o600
    person.refresh_from_db()
    assert person.check_password(password)
    again = cli("set_password", "amina", "--random", "--write", str(login), "--keep")
    assert "unchanged" in again.out and login.read_text().strip() == f"amina / {password}"


def test_a_weak_password_is_refused(cli, db, monkeypatch):
    factories.UserFactory(username="amina")
    monkeypatch.setenv("PACESETTER_PASSWORD", "123")
    outcome = cli("set_password", "amina")
    assert outcome.code == 1 and "amina" in outcome.err


@pytest.mark.parametrize("role", ["organiser"])
def test_only_an_operator_sets_someone_elses_password(cli, units, monkeypatch, role):
    from pacesetter.accounts.actions import grant_role

    organiser = factories.UserFactory(username="org")
    with acting_as(actor_for(factories.UserFactory(username="op", is_superuser=True))):
        grant_role(user=organiser, role=role, unit=units["KP"])
    factories.UserFactory(username="amina")
    monkeypatch.setenv("PACESETTER_PASSWORD", "a-sound-long-password-1")
    with acting_as(actor_for(organiser)):
        outcome = cli("set_password", "amina")
    assert outcome.code == 1
