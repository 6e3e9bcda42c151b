"""The objects the permission matrix needs beyond movements, reports and blocks: a ranking and
a challenge (emulation), a donation drive, volunteer calls and an enlistment drive (drives),
a rule pack with a run, a nomination and an award (titles), practices and an adoption
(experience). Built through the apps' actions,
as the system, with C1 as the unit each of them is about."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

from django.utils import timezone

from pacesetter.drives import actions as drive_actions
from pacesetter.emulation import actions as emulation_actions
from pacesetter.experience import actions as experience_actions
from pacesetter.experience.attachments import Upload
from pacesetter.ledger import actions as ledger_actions
from pacesetter.movements import actions as movement_actions
from pacesetter.reserves import actions as reserve_actions
from pacesetter.titles import actions as title_actions
from pacesetter.titles import dossiers
from pacesetter.units import actions as unit_actions
from pacesetter.visits import actions as visit_actions
from pacesetter.voices import actions as voice_actions

TODAY = dt.date.today()
# Drives and challenges run around today: sign-ups, gifts and answers are "now".
START = TODAY - dt.timedelta(days=100)
END = TODAY + dt.timedelta(days=100)
YEAR = "2024"
DAY = "2025-03-10"

PACK = """
pack: matrix
name: Matrix titles
description: Titles for the permission matrix.
judgements:
  - outstanding
titles:
  - code: star
    name: Star worker
    subject: person
    awarding_body: The council
    versions:
      - id: V1
        valid_from: 2000-01-01
        source: the matrix
        requires:
          - fact: rating
            op: ">="
            value: good
            label: rated good or better
        vote:
          threshold: ">= 50%"
          of: all_members
  - code: plain
    name: Plain worker
    subject: person
    awarding_body: The head
    versions:
      - id: V1
        valid_from: 2000-01-01
        source: the matrix
        requires:
          - fact: rating
            op: ">="
            value: good
            label: rated good or better
"""

PDF = b"%PDF-1.4\n%%EOF\n"  # a dossier's document: its first bytes say PDF

OTHER_PACK = PACK.replace("pack: matrix", "pack: matrix-other")
PAST_AWARD = {
    "member": "c1-0",
    "title": "plain",
    "year": "2019",
    "awarding_body": "The council",
    "decision_number": "7/2019",
    "decision_date": "2019-12-30",
}
DECISION = {
    "number": "8/2024",
    "decided_on": str(TODAY),
    "awarding_body": "The council",
    "signer_name": "A. Signer",
    "signer_position": "Chair",
}


def _draft(units, slug: str, *, public: bool = False):
    return movement_actions.create_movement(
        title=slug.replace("-", " ").title(),
        slug=slug,
        organiser=units["KP"],
        starts_on=START,
        ends_on=END,
        is_public=public,
    )


def build(world) -> SimpleNamespace:
    units = world.units
    x = SimpleNamespace()

    # a report of C1 in "running" (C1's own movement), for the report pages
    x.running_report = ledger_actions.record_reports(
        movement=world.running,
        rows=[ledger_actions.ReportRow(unit="C1", indicator="steel", day=DAY, quantity="4")],
        source="api",
    ).report_ids[0]

    # emulation: a ranking of block b (C1 alone) in the KP-wide private movement "drive"
    x.scoring = emulation_actions.create_scoring(
        movement=world.launched,
        block=world.block,
        code="main",
        name="Main ranking",
        components=[emulation_actions.ComponentSpec("steel")],
    )
    # a ranking of block b in C1's draft, to rename and retire
    x.draft_scoring = emulation_actions.create_scoring(
        movement=world.draft,
        block=world.block,
        code="old",
        name="Old ranking",
        components=[emulation_actions.ComponentSpec("steel")],
    )
    # a challenge to C1 from C3 (under P2: no grant of the matrix sees C3), in "race", a
    # KP-wide private movement running now
    race = _draft(units, "race")
    movement_actions.add_indicator(movement=race, code="steel", name="Steel", unit_of_measure="t")
    race = movement_actions.launch_movement(movement=race)
    x.race = race
    x.answer_by = TODAY + dt.timedelta(days=10)
    x.challenge = emulation_actions.propose_challenge(
        movement=race,
        challenger=units["C3"],
        opponent=units["C1"],
        indicator=race.indicators.get(code="steel"),
        period=race.periods.get(is_whole=True),
        answer_by=x.answer_by,
    )

    # experience: two practices of C3 in "race"; C1 adopted the second
    race_steel = race.indicators.get(code="steel")
    race_whole = race.periods.get(is_whole=True)
    x.practice, x.adopted_practice = (
        experience_actions.publish_practice(
            movement=race,
            unit=units["C3"],
            title=title,
            text="What C3 did.",
            indicator=race_steel,
            period=race_whole,
        )
        for title in ("Matrix practice", "Adopted practice")
    )
    x.adoption = experience_actions.adopt_practice(practice=x.adopted_practice, unit=units["C1"])
    # and one of C1's own, with a PDF: adding to it needs PLAN over C1
    x.c1_practice = experience_actions.publish_practice(
        movement=race,
        unit=units["C1"],
        title="C1 practice",
        text="What C1 did.",
        indicator=race_steel,
        period=race_whole,
        attachments=[Upload(name="method.pdf", content=io.BytesIO(PDF), size=len(PDF))],
    )
    x.practice_attachment = x.c1_practice.attachments.get()

    # drives: KP-wide private movements; the pages and endpoints are asked about C1
    gifts = _draft(units, "gifts")
    x.donation_drive = drive_actions.create_donation_drive(
        movement=gifts,
        items=[drive_actions.ItemSpec(code="rice", name="Rice", unit_of_measure="sacks")],
    )
    movement_actions.launch_movement(movement=gifts)
    x.donation_drive.refresh_from_db()
    x.gift = drive_actions.record_donations(
        drive=x.donation_drive,
        rows=[drive_actions.DonationRow(item="rice", stage="received", unit="C1", quantity=3)],
    ).entry_ids[0]

    # named targets of a donation drive organised by C1 (scope C1): ORGANISE names the next
    arms = movement_actions.create_movement(
        title="Arms", slug="arms", organiser=units["C1"], starts_on=START, ends_on=END
    )
    drive_actions.create_donation_drive(
        movement=arms,
        items=[drive_actions.ItemSpec(code="funds", name="Funds", kind="money", currency="KPW")],
    )
    movement_actions.launch_movement(movement=arms)

    call = _draft(units, "call")
    now = timezone.now()
    x.call = drive_actions.create_volunteer_call(
        movement=call,
        quota=50,
        at_quota="close",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
        places=[drive_actions.PlaceSpec("C1", 5)],
    )
    movement_actions.launch_movement(movement=call)
    x.call.refresh_from_db()
    x.place = x.call.places.get().pk
    pending, accepted = drive_actions.sign_up(
        call=x.call,
        rows=[
            drive_actions.SignUpRow(unit="C1", full_name="Pending One", contact="+850 2 000 0001"),
            drive_actions.SignUpRow(unit="C1", full_name="Accepted Two", contact="+850 2 000 0002"),
        ],
    ).codes
    drive_actions.accept_signups(call=x.call, codes=[accepted])
    x.pending_signup, x.accepted_signup = pending, accepted

    # a public call, for the public sign-up page, the confirmation and the honour board
    open_call = _draft(units, "open-call", public=True)
    x.open_call = drive_actions.create_volunteer_call(
        movement=open_call,
        quota=50,
        at_quota="close",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
    )
    movement_actions.launch_movement(movement=open_call)
    x.public_signup = drive_actions.sign_up(
        call=x.open_call,
        rows=[drive_actions.SignUpRow(unit="C1", full_name="Open Three", contact="+850 2 0003")],
    ).codes[0]

    enlist = _draft(units, "enlist")
    x.enlistment = drive_actions.create_enlistment_drive(
        movement=enlist, reporting_kind="county", roles=[("medical", "Medical workers")]
    )
    movement_actions.launch_movement(movement=enlist)

    # titles: a member of C1, rated; a run of each title over C1; a nomination; an award
    x.member = unit_actions.create_member(
        unit=units["C1"], full_name="Person C1", external_id="c1-0"
    )
    title_actions.load_pack(text=PACK)
    title_actions.record_facts(
        kind="evaluations",
        rows=[{"member": "c1-0", "year": YEAR, "rating": "good", "months_worked": "12"}],
        source="matrix",
    )
    from pacesetter.titles.models import Title

    star = Title.objects.get(pack__slug="matrix", code="star")
    plain = Title.objects.get(pack__slug="matrix", code="plain")
    x.star_run = title_actions.run_evaluation(title=star, year=int(YEAR), scope=units["C1"])
    x.candidate = x.star_run.results.get()
    (x.nomination,) = title_actions.nominate(run=x.star_run)
    x.attachment = dossiers.add_attachment(
        nomination=x.nomination,
        kind="report",
        name="report.pdf",
        content=io.BytesIO(PDF),
        size=len(PDF),
    )
    x.plain_run = title_actions.run_evaluation(title=plain, year=int(YEAR), scope=units["C1"])
    x.award = title_actions.award_without_vote(candidate=x.plain_run.results.get())
    # an award of the body's history, imported (final: its decision came with it)
    from pacesetter.titles import history
    from pacesetter.titles.models import Award, RulePack

    (code,) = history.import_awards(
        pack=RulePack.objects.get(slug="matrix"),
        rows=[PAST_AWARD],
        source="matrix",
    ).codes
    x.past_award = Award.objects.get(code=code)

    # reserves: one proposed for C1 (to review), one implemented (to verify)
    x.reserve = reserve_actions.propose_reserve(
        unit=units["C1"], kind="time", description="Matrix reserve", estimated="3", measure="hours"
    )
    x.implemented_reserve = reserve_actions.propose_reserve(
        unit=units["C1"], kind="energy", description="Lights", estimated="40", measure="kWh"
    )
    reserve_actions.accept_reserve(x.implemented_reserve)
    reserve_actions.implement_reserve(x.implemented_reserve)

    # visits: one to C1, with a follow-up owned by "someone" (a reporter of C1), overdue
    x.visit = visit_actions.record_visit(
        unit="C1",
        visited_on=DAY,
        purpose="Matrix visit",
        guest_names=["Matrix guest"],
        follow_ups=[visit_actions.FollowUpRow("Matrix follow-up", "someone", DAY)],
    )
    x.follow_up = x.visit.follow_ups.get()
    # money saved in C1's "running" counts toward its steel (nothing here verifies money)
    x.reserve_link = reserve_actions.link_reserves(
        movement=world.running,
        kind="money",
        measure="KPW",
        indicator=world.running.indicators.get(code="steel"),
        factor="0.1",
    )
    # voices: a topic of KP answered at the unit itself; a voice about C1 with a PDF
    from django.core.files.uploadedfile import SimpleUploadedFile

    x.voice_topic = voice_actions.set_topic(
        code="matrix-topic", name="Matrix topic", organiser=units["KP"]
    )
    x.voice = voice_actions.raise_voice(
        topic=x.voice_topic,
        unit=units["C1"],
        subject="Matrix voice",
        text="About C1",
        attachment=SimpleUploadedFile("note.pdf", PDF),
    )
    return x
