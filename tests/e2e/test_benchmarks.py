"""A tiny run of every benchmark under bench/ (seconds each), so that none of them rots."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "script, options, figures",
    [
        ("webhooks.py", [], ["accepted/s", "p99 ms", "drain s"]),
        ("api.py", [], ["/api/issues/?cursor=", "/api/sentry/projects/", "p99 ms"]),
        ("web.py", [], ["/inbox/", "/products/1/", "/products/", "/sentry/", "p99 ms"]),
        ("propagation.py", [], ["Jira done -> Sentry resolved over 3 changes", "p95"]),
        ("pull_sentry.py", [], ["pull issues/s", "ratio", "% rollups"]),
        ("pull_sentry.py", ["--workers", "1"], ["workers", "% bare"]),
        ("observe.py", [], ["new Sentry issues observed 500 at a time", "longest statements"]),
    ],
)
def test_a_tiny_run_prints_its_figures_with_the_load_average(script, options, figures):
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--tiny", *options],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    for figure in [*figures, "load average"]:
        assert figure in done.stdout, done.stdout
