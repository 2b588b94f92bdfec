"""bench/webhook_ingest.py fails loudly when a delivery sent to Maestro was lost, and says
whether the throughput target was met."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "webhook_ingest.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_ingest_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_delivery_stored_exits_0_and_reports_the_target() -> None:
    lines, code = _bench().verdict(sent=4000, acknowledged=4000, stored=4000, ratio=0.61)
    assert code == 0
    assert not any(line.startswith("WARNING") for line in lines)
    assert any("target >= 0.50: met" in line for line in lines)


def test_a_missing_delivery_is_a_warning_and_a_failure() -> None:
    lines, code = _bench().verdict(sent=4000, acknowledged=4000, stored=3998, ratio=0.9)
    assert code == 1
    assert "WARNING: 2 of 4000 deliveries sent to maestro are not stored" in lines


def test_unacknowledged_deliveries_fail_and_a_slow_run_is_reported() -> None:
    lines, code = _bench().verdict(sent=100, acknowledged=97, stored=100, ratio=0.3)
    assert code == 1
    assert "WARNING: 3 of 100 deliveries were not answered 202" in lines
    assert any("target >= 0.50: NOT met" in line for line in lines)
