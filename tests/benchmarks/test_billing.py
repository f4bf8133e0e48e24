"""The billing benchmark runs alone and reports memory per group and the poll's cost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BILLING = Path(__file__).resolve().parents[2] / "benchmarks" / "billing.py"


def test_the_billing_benchmark_reports_memory_and_poll_cost() -> None:
    done = subprocess.run(
        [sys.executable, str(BILLING), "--groups", "20", "--json"],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    figures = json.loads(done.stdout)
    # Bounded: the top 447 doubles, a bit per slot, 31 days, the open window (~7 KB).
    assert 2_000 < figures["bytes_per_group_month"] < 12_000
    assert figures["bytes_per_group_two_months"] < 2 * 12_000
    assert figures["poll_total_seconds"] > 0
    # 14 samples a group: 3 methods x (figure, forecast), 5 per month, commit, burst, cost.
    assert figures["samples"] == 20 * 14
