"""The ranking follower (settings.RANKING_FOLLOWER): ingests leave their rankings to it, and it
ranks them as the ingest itself would have."""

import io
import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacesetter.audit.models import AuditEvent
from pacesetter.emulation import actions, domain, selectors
from pacesetter.emulation.actions import follower as ranking_follower
from pacesetter.emulation.models import Notification, OvertakingEvent, PendingRanking, Standing
from pacesetter.ledger.actions import correct_report
from pacesetter.ledger.models import Report

from .conftest import assert_events_give_the_order, record, scoring, whole


@pytest.fixture
def follower(settings):
    settings.RANKING_FOLLOWER = True
    return settings


def goodness(s, period):
    return dict(
        Standing.objects.filter(scoring=s, period=period).values_list("unit_id", "goodness")
    )


def events_of(s):
    return [
        (e.period_id, e.ahead.code, e.behind.code, e.kind, e.cause)
        for e in OvertakingEvent.objects.filter(scoring=s)
        .select_related("ahead", "behind")
        .order_by("id")
    ]


def test_an_ingest_leaves_its_ranking_to_the_follower(movement, block, follower):
    s = scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))
    # Nothing ranked yet: the ingest wrote down what to rank, in its transaction.
    assert goodness(s, whole(movement)) == {}
    pending = PendingRanking.objects.get()
    assert pending.reports == 2 and pending.movement == movement
    assert selectors.pending_reports() == 2

    assert actions.rank_pending() == 2
    # The round is audited, in the transaction that applied it.
    event = AuditEvent.objects.get(action="emulation.rank_pending")
    assert event.movement_id == movement.pk and event.after == {"reports": 2, "ingests": 1}
    ranked = goodness(s, whole(movement))
    assert sorted(ranked.values()) == [10_000_000, 20_000_000]  # 10 t and 20 t, 6 places
    assert not PendingRanking.objects.exists()
    assert actions.rank_pending() == 0  # nothing twice


SCRIPT = [
    [
        ("W1", "steel", "10"),
        ("W2", "steel", "20"),
        ("W3", "steel", "30"),
    ],  # entering: nobody passed
    [("W1", "steel", "15.5")],  # W1 (25.5) passes W2 (20)
    [("W3", "steel", "1"), ("W2", "steel", "20")],  # W2 (40) passes W1 (25.5) and W3 (31)
]


@pytest.mark.parametrize("follows", [False, True], ids=["inline", "follower"])
def test_one_round_per_ingest_gives_the_events_the_ingest_would_have(
    movement, block, settings, follows
):
    settings.RANKING_FOLLOWER = follows
    s = scoring(movement, block, ("steel", "raw"))
    per_ingest = []
    for rows in SCRIPT:
        seen = OvertakingEvent.objects.count()
        record(movement, *rows)
        if follows:
            assert actions.rank_pending() == len(rows)
        per_ingest.append(
            {(ahead, behind, kind) for _p, ahead, behind, kind, _c in events_of(s)[seen:]}
        )
    assert per_ingest == [
        set(),
        {("W1", "W2", "overtook")},
        {("W2", "W1", "overtook"), ("W2", "W3", "overtook")},
    ]
    # In March and in the whole movement alike; W2 is told it was passed, and so is its parent.
    assert OvertakingEvent.objects.count() == 6
    told = {(n.unit.code, n.kind) for n in Notification.objects.select_related("unit")}
    assert {("W2", "overtaken"), ("C1", "child_overtaken"), ("W3", "overtaken")} <= told


def test_several_ingests_in_one_round_give_the_change_from_first_to_last(movement, block, follower):
    s = scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))
    actions.rank_pending()
    record(movement, ("W1", "steel", "15"))  # W1 25 passes W2 20 ...
    record(movement, ("W2", "steel", "10"))  # ... and W2 30 passes back: no change overall
    record(movement, ("W3", "steel", "40"))  # W3 enters the ranking: passing nobody
    assert actions.rank_pending() == 3
    assert events_of(s) == []
    assert [g for _u, g in sorted(goodness(s, whole(movement)).items())] == [
        25_000_000,
        30_000_000,
        40_000_000,
    ]
    record(movement, ("W1", "steel", "20"))  # W1 45 passes W3 40 and W2 30
    record(movement, ("W4", "steel", "1"))
    assert actions.rank_pending() == 2
    assert {(e[1], e[2]) for e in events_of(s)} == {("W1", "W2"), ("W1", "W3")}


def test_a_round_worked_out_on_standings_that_changed_meanwhile_is_worked_out_again(
    movement, block, follower, monkeypatch
):
    s = scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))
    actions.rank_pending()
    record(movement, ("W1", "steel", "15"))  # W1 passes W2
    original = ranking_follower._plans
    calls = []

    def plans_then_someone_writes(*args, **kwargs):
        found = original(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            # Another writer re-ranks between this round's reading and its writing.
            actions.refresh_scoring(scoring=s)
        return found

    monkeypatch.setattr(ranking_follower, "_plans", plans_then_someone_writes)
    assert actions.rank_pending() == 1
    assert len(calls) == 2
    # The refresh saw W1 pass W2 (a re-ranking, in March and in the whole movement); the
    # second try found nothing more to say.
    assert [(e[1], e[2], e[4]) for e in events_of(s)] == [("W1", "W2", "rescoring")] * 2
    assert not PendingRanking.objects.exists()


def test_a_correction_ranked_by_the_follower_is_an_event_caused_by_a_correction(
    movement, block, follower
):
    s = scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))
    actions.rank_pending()
    inflated = record(movement, ("W1", "steel", "100"))
    actions.rank_pending()
    report = Report.objects.get(pk=inflated.report_ids[0])
    correct_report(report=report, quantity="1", reason="typo", source="api")
    actions.rank_pending()
    # In March and in the whole movement.
    assert [(e[1], e[2], e[4]) for e in events_of(s)] == [("W1", "W2", "reports")] * 2 + [
        ("W2", "W1", "correction")
    ] * 2


def test_an_ingest_into_a_ranked_movement_leaves_it_in_two_statements(movement, block, follower):
    scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"))
    with CaptureQueriesContext(connection) as captured:
        record(movement, ("W2", "steel", "10"))
    touching = [q["sql"] for q in captured.captured_queries if "emulation_" in q["sql"]]
    # The probe for a scoring, then the pending row (which PostgreSQL's pipelined insert
    # writes past Django's query log): no standing, event or notification.
    assert touching[0].startswith("SELECT 1 FROM emulation_scoring")
    assert all("emulation_pendingranking" in sql for sql in touching[1:])
    assert len(touching) <= 2
    assert PendingRanking.objects.count() == 2


def test_the_command_ranks_what_is_pending_and_says_so(movement, block, follower):
    scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))
    record(movement, ("W3", "steel", "5"))
    out = io.StringIO()
    call_command("rank_follower", "--once", stdout=out)
    assert "3 reports ranked in 1 rounds; 0 pending." in out.getvalue()
    out = io.StringIO()
    call_command("rank_follower", "--once", "--max-reports", "1", stdout=out)
    assert "0 reports ranked in 0 rounds; 0 pending." in out.getvalue()


UNITS = ["W1", "W2", "W3", "W4"]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rounds=st.lists(
        st.lists(
            st.lists(st.tuples(st.sampled_from(UNITS), st.integers(0, 30)), min_size=1, max_size=3),
            min_size=1,
            max_size=3,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_replaying_the_followers_events_gives_the_order(movement, block, rounds, settings):
    """Whatever the ingests a round takes together: replaying its events on the order before
    it gives the order after it, and pairs whose order did not change have no event."""
    settings.RANKING_FOLLOWER = True
    code = f"f{Standing.objects.count()}-{OvertakingEvent.objects.count()}"
    s = scoring(movement, block, ("losses", "raw"), code=code)
    period = whole(movement)
    for ingests in rounds:
        before = domain.pairwise(goodness(s, period))
        seen = OvertakingEvent.objects.filter(scoring=s, period=period).count()
        for rows in ingests:
            record(movement, *[(unit, "losses", str(quantity)) for unit, quantity in rows])
        actions.rank_pending()
        after = domain.pairwise(goodness(s, period))
        events = list(
            OvertakingEvent.objects.filter(scoring=s, period=period).order_by("id")[seen:]
        )
        assert_events_give_the_order(before, after, events)


def test_the_follower_started_by_a_server_stops_with_it(tmp_path):
    """`pacesetter serve` starts the follower with `--parent` its own pid: when its parent (the
    server) is gone, the follower ends by itself instead of ranking on as an orphan."""
    env = {**os.environ, "PACESETTER_VAR": str(tmp_path), "RANKING_FOLLOWER": "1"}
    env.pop("DATABASE_URL", None)
    cli = [sys.executable, "-m", "pacesetter.cli"]
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    pid_file = tmp_path / "follower.pid"
    # A parent that starts the follower as `serve` does, tells its pid and exits at once.
    parent = (
        "import subprocess, sys; "
        "import os; "
        f"p = subprocess.Popen({[*cli, 'rank-follower', '--interval', '0.05']!r}"
        " + ['--parent', str(os.getpid())]); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))"
    )
    subprocess.run([sys.executable, "-c", parent], env=env, check=True, timeout=60)
    follower = int(pid_file.read_text())
    deadline = time.monotonic() + 60
    while _alive(follower):
        assert time.monotonic() < deadline, "the follower outlived its parent"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A finished child of init lingers as a zombie until reaped: it is not following.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"
