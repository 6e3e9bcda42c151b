"""The load test's arithmetic: percentiles from the due time, what counts as a step held, and
the highest rate held. (The run itself, `pacesetter bench --load`, starts gunicorn and takes
minutes; it is run by hand and its numbers are in docs/performance.md.)"""

from __future__ import annotations

from pacesetter_bench.load import TARGET_P95_MS, Step


def step(rate: int, latencies_ms: list[float], errors: dict[str, int] | None = None) -> Step:
    result = Step(rate, latencies=[ms / 1000 for ms in latencies_ms], errors=errors or {})
    result.accepted = result.sent = len(latencies_ms)
    result.elapsed = 1.0
    return result


def test_percentiles_are_of_the_latencies_in_milliseconds():
    measured = step(100, [float(ms) for ms in range(1, 101)])
    assert measured.percentile(0.50) == 51.0
    assert measured.percentile(0.95) == 96.0
    assert measured.percentile(0.99) == 100.0
    assert measured.percentile(1.0) == 100.0
    assert Step(50).percentile(0.95) is None


def test_a_step_is_held_with_p95_at_most_the_target_and_no_error():
    assert step(50, [10.0] * 95 + [TARGET_P95_MS] * 5).held
    assert not step(50, [10.0] * 94 + [TARGET_P95_MS + 1] * 6).held
    assert not step(50, [10.0] * 100, errors={"HTTP 500": 1}).held
    assert not Step(50).held  # nothing answered is not a rate held


def test_summary_names_the_rate_and_its_figures():
    summary = step(200, [5.0, 7.0, 9.0, 300.0]).summary()
    assert summary["rate"] == 200 and summary["accepted"] == 4
    assert summary["achieved_per_s"] == 4.0
    assert summary["p50_ms"] == 9.0 and summary["p95_ms"] == 300.0
    assert summary["held"] is False
