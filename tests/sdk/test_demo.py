"""The main job end to end with a small schedule, on the anvil it starts and stops itself.

The demo's own checks are re-derived here from the report's numbers (not only its ``holds`` flags), the PNG is
checked to be a PNG, and the node is checked to be gone after a normal run and after a failing one.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pyclaims import demo as demo_module
from pyclaims.demo import DemoConfig, DemoError, main, run_demo

pytestmark = pytest.mark.slow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _pid_of(lines: list[str]) -> int:
    match = re.search(r"pid (\d+)", lines[0])
    assert match, lines[0]
    return int(match.group(1))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie not yet reaped by anyone would still answer; ours are waited for, so alive means running.
    return False


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, list[str]]:
    out = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    report = run_demo(DemoConfig(claims=80, creditors=10, buyers=2, seed=11, out_dir=out), echo=lines.append)
    return report, out, lines


def test_every_reconciliation_holds_to_the_base_unit(small: tuple[dict[str, Any], Path, list[str]]) -> None:
    report, _, _ = small
    assert report["reconciled"] is True
    assert report["reconciliation"] and all(c["holds"] for c in report["reconciliation"])
    for check in report["reconciliation"]:
        assert isinstance(check["lhs"], str) and isinstance(check["rhs"], str)
        if check["name"].endswith("_dust"):
            assert 0 <= int(check["lhs"]) <= int(check["rhs"])
        else:
            assert int(check["lhs"]) == int(check["rhs"]), check
    money = {k: int(v) for k, v in report["money"].items()}
    assert money["in"] == money["out"] + money["withheld"] + money["escrowed"]
    assert money["withheld"] == money["withheld_disputed"] + money["withheld_dust"] + money["withheld_owed"]
    assert money["fees"] == 0 and money["escrowed"] > 0  # open escrowed bids stay in the market
    for rnd in report["rounds"]:
        parts = sum(int(rnd[k]) for k in ("paid", "released", "returned", "withheld", "owed", "dust"))
        assert int(rnd["funded"]) == parts
        assert 0 <= int(rnd["dust"]) <= rnd["claims"]
        assert int(rnd["owed"]) == 0  # everything payable was paid
    checks = {c["name"]: c for c in report["reconciliation"]}
    assert {"money", "supply", "wallet_ledgers", "escrow", "zero_fee", "distributor_balance"} <= set(checks)
    assert checks["wallet_ledgers"]["lhs"] == "0"


def test_the_story_happened(small: tuple[dict[str, Any], Path, list[str]]) -> None:
    report, _, _ = small
    counts = report["counts"]
    assert counts["minted"] == 80 and counts["accepted"] == 80
    assert counts["rejected_rows"] == len(report["validation"]["rejected"]) > 0
    assert {e["field"] for e in report["validation"]["rejected"]} >= {"allowed_amount_usd", "creditor_wallet"}
    assert counts["restricted_wallets"] >= 1 and counts["disputed"] >= 1
    assert counts["attested_directly"] > 0 and counts["attested_by_signature"] > 0
    assert counts["settlements"] == len(report["trades"]) - 1  # plus the record-date sale
    kinds = {t["kind"] for t in report["trades"]}
    assert {"ask", "class_bid"} <= kinds
    for trade in report["trades"]:
        assert int(trade["price"]) > 0 and trade["tx_hash"].startswith("0x")
    [first, second] = report["rounds"]
    assert (first["class"], second["class"]) == ("convenience", "general")
    assert first["cumulative_rate_ppm"] == 720_000 and second["cumulative_rate_ppm"] == 540_000
    record = report["record_date_trade"]
    assert record["round_paid_to"] == record["seller"] != record["holder_now"] == record["buyer"]
    assert report["resolutions"]["released"] and len(report["resolutions"]["returned"]) == 1
    gas = report["gas"]
    assert gas["mint_batch"]["items"] == 80 and gas["payout_batch"]["items"] == counts["payouts"]
    assert all(g["min"] > 0 for g in gas.values())
    assert report["timing"]["total_s"] > 0


def test_files_are_written(small: tuple[dict[str, Any], Path, list[str]]) -> None:
    report, out, _ = small
    assert json.loads((out / "report.json").read_text()) == report
    png = (out / "chart.png").read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 20_000
    for name in ("claims.csv", "claims.json", "validation.json", "deployment.json", "mint.journal"):
        assert (out / name).stat().st_size > 0, name
    offers = list((out / "offers").glob("*.json"))
    assert offers and all(json.loads(p.read_text())["format"] == "pyclaims.offer" for p in offers)


def test_the_node_is_stopped_after_the_run(small: tuple[dict[str, Any], Path, list[str]]) -> None:
    _, _, lines = small
    assert _gone(_pid_of(lines))


def test_the_node_is_stopped_when_a_step_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any) -> None:
        raise DemoError("mint: injected failure")

    monkeypatch.setattr(demo_module._Demo, "mint", broken)
    lines: list[str] = []
    with pytest.raises(DemoError, match="injected failure"):
        run_demo(DemoConfig(claims=10, creditors=4, buyers=1, out_dir=tmp_path, chart=False), echo=lines.append)
    assert _gone(_pid_of(lines))


def test_command_line_json_and_exit_code(tmp_path: Path) -> None:
    result = CliRunner(mix_stderr=False).invoke(
        main,
        [
            "--claims",
            "30",
            "--creditors",
            "6",
            "--buyers",
            "1",
            "--seed",
            "3",
            "--no-chart",
            "--json",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["format"] == "pyclaims.demo-report" and report["reconciled"] is True
    assert not (tmp_path / "chart.png").exists()
    bad = CliRunner(mix_stderr=False).invoke(main, ["--claims", "5"])
    assert bad.exit_code == 2 and "--claims" in bad.stderr


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="claims"):
        DemoConfig(claims=5)
    with pytest.raises(ValueError, match="mint_batch"):
        DemoConfig(mint_batch=0)
    with pytest.raises(ValueError, match="general_rate_ppm"):
        DemoConfig(general_rate_ppm=0)
