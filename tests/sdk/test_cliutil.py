"""The CLI's parameter types, key loading and JSON output (pyclaims._cliutil), and the demo's node lifecycle
(pyclaims._node) and chart (pyclaims._demo_chart) on their own."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest

from pyclaims._cliutil import (
    ADDRESS,
    DATE,
    RATE,
    ROUND,
    USD,
    KeySource,
    KeySourceError,
    RateType,
    UsdType,
    dumps,
    jsonable,
    load_key,
)
from pyclaims._demo_chart import render_chart
from pyclaims._node import ANVIL_MNEMONIC, LocalNode, NodeError, dev_account, find_anvil
from pyclaims.valuation import ExpectedRound

CHECKSUMMED = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def _fails(param_type: click.ParamType, value: str) -> str:
    with pytest.raises(click.BadParameter) as info:
        param_type.convert(value, None, None)
    return str(info.value.message)


def test_usd_parses_to_base_units_and_names_the_problem() -> None:
    assert USD.convert("1234.56", None, None) == 1_234_560_000
    assert USD.convert("0.000001", None, None) == 1
    assert "exponent" in _fails(USD, "1e5")
    assert "thousands separators" in _fails(USD, "1,000")
    assert "7 decimal places" in _fails(USD, "1.0000001")
    assert "negative" in _fails(USD, "-5")
    assert "more than zero" in _fails(USD, "0")
    assert UsdType(allow_zero=True).convert("0", None, None) == 0


def test_rates_as_percent_or_ppm() -> None:
    assert RATE.convert("72%", None, None) == 720_000
    assert RATE.convert("12.3456%", None, None) == 123_456
    assert RATE.convert("540000", None, None) == 540_000
    assert "4 decimals" in _fails(RATE, "1.23456%")
    assert "neither a percentage" in _fails(RATE, "72 percent")
    assert "at most" in _fails(RateType(maximum=1_000_000), "101%")


def test_dates_addresses_and_rounds() -> None:
    assert DATE.convert("2026-03-31", None, None) == dt.date(2026, 3, 31)
    assert DATE.convert("+10", None, None) == dt.datetime.now(dt.UTC).date() + dt.timedelta(days=10)
    assert "not a date" in _fails(DATE, "31/03/2026")
    assert ADDRESS.convert(CHECKSUMMED.lower(), None, None) == CHECKSUMMED
    assert "EIP-55" in _fails(ADDRESS, CHECKSUMMED[:-1] + "c")
    assert "zero address" in _fails(ADDRESS, "0x" + "0" * 40)
    assert "40 hex digits" in _fails(ADDRESS, "0x1234")
    assert ROUND.convert("2026-06-30:72%:90%", None, None) == ExpectedRound(dt.date(2026, 6, 30), 720_000, 900_000)
    assert ROUND.convert("2026-06-30:72%", None, None).probability_ppm == 1_000_000
    assert "DATE:RATE" in _fails(ROUND, "2026-06-30")


def test_load_key_from_env_and_file_without_leaking_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    account = dev_account(3)
    key_hex = bytes(account.key).hex()
    monkeypatch.setenv("SOME_KEY", key_hex)
    assert load_key(KeySource(env="SOME_KEY")).address == account.address
    monkeypatch.setenv("PYCLAIMS_KEY", "0x" + key_hex)
    assert load_key(KeySource()).address == account.address
    path = tmp_path / "key"
    path.write_text(f"  0x{key_hex}\n")
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert load_key(KeySource(file=path)).address == account.address
    monkeypatch.delenv("SOME_KEY")
    with pytest.raises(KeySourceError, match="SOME_KEY is not set"):
        load_key(KeySource(env="SOME_KEY"))
    monkeypatch.setenv("SOME_KEY", key_hex[:-2] + "zz")
    with pytest.raises(KeySourceError) as info:
        load_key(KeySource(env="SOME_KEY"))
    assert key_hex[:20] not in str(info.value.message)
    with pytest.raises(KeySourceError, match="cannot read"):
        load_key(KeySource(file=tmp_path / "missing"))


def test_a_world_readable_key_file_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "key"
    path.write_text(bytes(dev_account(3).key).hex())
    path.chmod(0o644)
    load_key(KeySource(file=path))
    assert "readable by other users" in capsys.readouterr().err


def test_json_output_keeps_big_integers_exact() -> None:
    data = {"small": 5, "big": 2**96 - 1, "raw": b"\x01\x02", "when": dt.date(2026, 1, 2), "set": {3, 1}}
    assert jsonable(data) == {"small": 5, "big": str(2**96 - 1), "raw": "0x0102", "when": "2026-01-02", "set": [1, 3]}
    assert json.loads(dumps(data))["big"] == str(2**96 - 1)


# ------------------------------------------------------------------------------------------------ the node


def test_dev_accounts_derive_from_the_public_mnemonic() -> None:
    assert ANVIL_MNEMONIC.endswith("junk")
    assert dev_account(1).address == CHECKSUMMED
    with pytest.raises(ValueError, match="index"):
        dev_account(-1)


def test_find_anvil_explains_what_it_tried(tmp_path: Path) -> None:
    with pytest.raises(NodeError, match="anvil not found"):
        find_anvil(tmp_path / "nothing-here")
    assert find_anvil().name == "anvil"


@pytest.mark.slow
def test_local_node_starts_answers_and_always_stops() -> None:
    with LocalNode() as node:
        pid = node.pid
        assert pid is not None and node.running
        assert node.version().startswith("1.")
        with pytest.raises(NodeError, match="already running"):
            node.start()
    assert not node.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    node.stop()  # twice is fine


@pytest.mark.slow
def test_local_node_stops_when_the_process_is_terminated(tmp_path: Path) -> None:
    script = tmp_path / "hold.py"
    script.write_text(
        "import sys, time\n"
        "from pyclaims._node import LocalNode\n"
        "with LocalNode() as node:\n"
        "    print(node.pid, flush=True)\n"
        "    time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    anvil_pid = int(proc.stdout.readline())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    proc.stdout.close()
    with pytest.raises(ProcessLookupError):
        os.kill(anvil_pid, 0)


# ------------------------------------------------------------------------------------------------ the chart


def test_chart_draws_an_empty_report_and_a_full_one(tmp_path: Path) -> None:
    empty = render_chart({}, tmp_path / "empty.png")
    assert empty.read_bytes().startswith(b"\x89PNG")
    report = {
        "trades": [
            {
                "kind": "ask",
                "class": "convenience",
                "allowed": "1000000000",
                "price": "950000000",
                "hold_value": "930000000",
            },
            {
                "kind": "class_bid",
                "class": "general",
                "allowed": "90000000000",
                "price": "67500000000",
                "hold_value": "66000000000",
            },
        ],
        "rounds": [
            {
                "round_id": 1,
                "class": "convenience",
                "rate_delta_ppm": 720000,
                "funded": "1000",
                "paid": "900",
                "withheld": "99",
                "dust": "1",
            },
        ],
        "money": {"in": "10", "out": "8", "withheld": "1", "escrowed": "1"},
        "reconciliation": [{"holds": True}],
        "validation": {"convenience_threshold": "50000000000"},
    }
    full = render_chart(report, tmp_path / "sub" / "full.png")
    assert full.read_bytes().startswith(b"\x89PNG") and full.stat().st_size > empty.stat().st_size
