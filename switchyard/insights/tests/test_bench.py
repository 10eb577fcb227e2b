"""bench/insights.py at a tiny size: it fills, counts and measures, and no dashboard endpoint
reads the Sentry issue, ticket or customer issue tables."""

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db
BENCH = Path(__file__).resolve().parents[3] / "bench" / "insights.py"


def test_the_benchmark_runs_tiny_and_the_dashboards_read_only_insights(capsys):
    spec = importlib.util.spec_from_file_location("bench_insights", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    result = bench.run(issues=400, tickets=80, customer_issues=40, requests=3)

    assert len(result["endpoints"]) == 6
    for row in result["endpoints"]:
        assert row["p99_ms"] >= row["p50_ms"] > 0
        assert row["queries"] > 0
        assert row["source_tables"] == [], row["url"]
    bench.report(result)
    assert "load average" in capsys.readouterr().out
