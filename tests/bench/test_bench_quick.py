"""The benchmark, end to end, in quick mode: what CI runs so the bench cannot rot.

One run of ``python -m bench.run --quick`` as a subprocess (a fresh anvil, every group that exists, Seaport compiled
through solc-js on the first run and cached under ``bench/.cache/`` after that). It must exit 0 whatever the targets
say, and every anchor must give a plausible gas figure. Cold, the Seaport compilation takes 20-40 s: the test is
marked ``slow`` but runs in ``make test``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.anchors import ANCHOR_KEYS
from bench.figures import STABLE_NAMES

ROOT = Path(__file__).resolve().parents[2]

# Plausible ranges, wide enough for any honest implementation and any stablecoin, narrow enough to catch a
# measurement of the wrong thing (a deployment, an approval, a failed call, a plain transfer).
PLAUSIBLE = {
    "seaport_fulfill_basic_gas": (80_000, 200_000),
    "floor_signed_swap_gas": (60_000, 150_000),
    "trex_transfer_gas": (100_000, 400_000),
    "trex_onboarding_gas": (300_000, 1_500_000),
    "merkle_claim_gas_100k": (40_000, 120_000),
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench")
    results, markdown = out / "results.json", out / "BENCHMARKS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(results), "--markdown", str(markdown)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert proc.returncode == 0, f"bench broke (exit {proc.returncode}):\n{proc.stderr[-6000:]}"
    return {
        "results": json.loads(results.read_text(encoding="utf-8")),
        "markdown": markdown.read_text(encoding="utf-8"),
        "stdout": proc.stdout,
    }


@pytest.mark.slow
def test_quick_run_anchor_figures_are_plausible(quick_run: dict[str, Any]) -> None:
    figures = quick_run["results"]["figures"]
    for key in ANCHOR_KEYS:
        value = figures[key]
        low, high = PLAUSIBLE[key]
        assert isinstance(value, int), f"{key} = {value!r}"
        assert low <= value <= high, f"{key} = {value:,} outside the plausible {low:,}..{high:,}"
    # The measured breakdowns add up, and the two Merkle states are ordered as the storage rules say.
    parts = ("identity", "register", "claim")
    assert figures["trex_onboarding_gas"] == sum(figures[f"trex_onboarding_{p}_gas"] for p in parts)
    assert figures["merkle_claim_gas_100k_fresh"] > figures["merkle_claim_gas_100k"] + 30_000
    assert figures["merkle_leaves"] == 1_000
    # Seaport does strictly more than the floor.
    assert figures["seaport_fulfill_basic_gas"] > figures["floor_signed_swap_gas"]


@pytest.mark.slow
def test_quick_run_results_json_shape(quick_run: dict[str, Any]) -> None:
    results = quick_run["results"]
    assert results["mode"] == "quick"
    assert set(STABLE_NAMES) <= set(results["figures"]), "every stable name is present (null when not measured)"
    assert set(ANCHOR_KEYS) <= {k for k, v in results["figures"].items() if v is not None}
    assert results["groups"]["anchors"]["status"] == "ok"
    for name, reason in results["missing"].items():
        assert results["figures"][name] is None and reason
    assert {t["status"] for t in results["targets"]} <= {"met", "missed", "not measured"}
    conditions = results["conditions"]
    assert "0.8.28" in conditions["pyclaims_compiler"] and "10000" in conditions["pyclaims_compiler"]
    assert "0.8.24" in conditions["seaport_compiler"] and "viaIR" in conditions["seaport_compiler"]
    assert conditions["evm_version"] == "cancun"
    assert "anvil" in conditions["node"]


@pytest.mark.slow
def test_quick_run_markdown_reports_every_anchor(quick_run: dict[str, Any]) -> None:
    markdown = quick_run["markdown"]
    figures = quick_run["results"]["figures"]
    assert "Quick mode (CI)" in markdown
    for key in ANCHOR_KEYS:
        assert f"| `{key}` | {figures[key]:,} |" in markdown
    for heading in ("## Targets", "## Ratios", "## Conditions"):
        assert heading in markdown


PYCLAIMS_GAS = (
    "settle_gas", "settle_gas_fresh", "escrow_fill_gas", "batch_settle_gas_per_offer", "claim_transfer_gas",
    "attest_gas", "attest_signed_gas", "mint_gas", "declare_round_gas_10", "declare_round_gas_1000",
    "declare_round_gas_100000", "payout_gas", "batch_payout_gas_per_claim",
)  # fmt: skip


@pytest.mark.slow
def test_quick_run_pyclaims_figures_are_measured_and_consistent(quick_run: dict[str, Any]) -> None:
    results = quick_run["results"]
    assert results["groups"]["pyclaims"]["status"] == "ok"
    figures = results["figures"]
    for key in PYCLAIMS_GAS:
        assert isinstance(figures[key], int) and 10_000 < figures[key] < 400_000, f"{key} = {figures[key]!r}"
    # Storage rules the figures must obey whatever the tuning: fresh wallets cost more than steady ones, a batch
    # amortises the transaction, and declaring a round does not depend on how many claims the class holds.
    assert figures["settle_gas_fresh"] > figures["settle_gas"]
    assert figures["batch_settle_gas_per_offer"] < figures["settle_gas"]
    assert figures["batch_payout_gas_per_claim"] < figures["payout_gas"]
    assert figures["declare_round_gas_10"] == figures["declare_round_gas_1000"] == figures["declare_round_gas_100000"]
    # The Python figures are measured too (quick mode: small N, no target applies).
    for key in ("sign_per_s", "eth_account_sign_per_s", "settle_tx_per_s", "mint_tx_per_s", "web3_default_tx_per_s"):
        assert figures.get(key) is None or figures[key] > 0, f"{key} = {figures.get(key)!r}"
