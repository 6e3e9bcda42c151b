import io

from rich.console import Console

from pacesetter_bench import drives as drives_bench


def test_enlistment_bench_small(db):
    results = drives_bench.enlistment(seed=3, units=60, console=Console(file=io.StringIO()))
    assert results["drives.enlistment.reports"] == 120
    assert results["drives.enlistment.national_total_correct"] is True
    assert results["drives.enlistment.coverage"] == "100"
