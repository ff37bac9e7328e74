"""The bench's parts, each against an independent reference: the Merkle tree, the compiler driver's import
walk and cache, Seaport's type strings, the dev accounts, target evaluation, and the run's handling of groups."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak

from bench import run as bench_run
from bench.anvil import AnvilNode, dev_account, dev_accounts
from bench.errors import BenchError, CompileError
from bench.figures import GroupSpec
from bench.merkle import BalanceTree, Entitlement, bench_entitlements, leaf_hash, verify_proof
from bench.report import compute_ratios, evaluate_targets, load_notes, render_markdown
from bench.seaport import SeaportListing, eip712_types
from bench.solidity import SUITE_SETTINGS, collect_sources, compile_contracts

# ---------------------------------------------------------------- Merkle tree


def test_merkle_three_leaf_root_by_hand() -> None:
    entries = bench_entitlements(3)
    a, b, c = sorted(leaf_hash(e) for e in entries)

    def pair(x: bytes, y: bytes) -> bytes:
        return keccak(min(x, y) + max(x, y))

    # Uniswap's layout: sorted leaves, pairs left to right, the odd last one moves up unchanged.
    assert BalanceTree.build(entries).root == pair(pair(a, b), c)


def test_merkle_leaf_encoding_is_encode_packed() -> None:
    entry = Entitlement(index=5, account="0x00000000000000000000000000000000000000AA", amount=7)  # type: ignore[arg-type]
    packed = (5).to_bytes(32, "big") + bytes.fromhex("00" * 19 + "aa") + (7).to_bytes(32, "big")
    assert len(packed) == 84
    assert leaf_hash(entry) == keccak(packed)


@pytest.mark.parametrize("count", [1, 2, 5, 17, 64, 1000])
def test_merkle_every_proof_verifies(count: int) -> None:
    entries = bench_entitlements(count)
    tree = BalanceTree.build(entries)
    for entry in entries:
        proof = tree.proof(entry)
        assert len(proof) <= tree.depth
        assert verify_proof(proof, tree.root, leaf_hash(entry))
    wrong = Entitlement(index=entries[0].index, account=entries[0].account, amount=entries[0].amount + 1)
    assert not verify_proof(tree.proof(entries[0]), tree.root, leaf_hash(wrong))


def test_merkle_rejects_duplicate_index_and_unknown_entry() -> None:
    entries = bench_entitlements(4)
    with pytest.raises(ValueError, match="indexes must be unique"):
        BalanceTree.build([*entries, Entitlement(index=0, account=entries[1].account, amount=1)])
    with pytest.raises(ValueError, match="not in the tree"):
        BalanceTree.build(entries).proof(Entitlement(index=99, account=entries[0].account, amount=1))
    with pytest.raises(ValueError, match="at least one leaf"):
        BalanceTree.build([])


# ---------------------------------------------------------------- compiler driver


def test_collect_sources_follows_imports_and_ignores_comments(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "dep").mkdir()
    (tmp_path / "A.sol").write_text(
        '// import "Missing.sol";\n/* import "AlsoMissing.sol"; */\nimport {B} from "./lib/B.sol";\n',
        encoding="utf-8",
    )
    (tmp_path / "lib" / "B.sol").write_text('import "../lib/C.sol";\nimport * as D from "dep/D.sol";\n', "utf-8")
    (tmp_path / "lib" / "C.sol").write_text('string constant S = "import \\"x\\"";\n', encoding="utf-8")
    (tmp_path / "dep" / "D.sol").write_text("contract D {}\n", encoding="utf-8")
    sources = collect_sources(["A.sol"], [tmp_path])
    assert sorted(sources) == ["A.sol", "dep/D.sol", "lib/B.sol", "lib/C.sol"]
    (tmp_path / "E.sol").write_text('import "nowhere/X.sol";\n', encoding="utf-8")
    with pytest.raises(CompileError, match=r"nowhere/X\.sol"):
        collect_sources(["E.sol"], [tmp_path])


def test_collect_sources_reaches_all_of_seaport() -> None:
    sources = collect_sources(["seaport-core/src/Seaport.sol"])
    assert "seaport-types/src/lib/ConsiderationStructs.sol" in sources
    assert "seaport-core/src/lib/BasicOrderFulfiller.sol" in sources


@pytest.mark.slow
def test_compile_is_cached_by_input(tmp_path: Path) -> None:
    first = compile_contracts(["bench/contracts/FloorSwap.sol"], SUITE_SETTINGS, cache_dir=tmp_path)
    second = compile_contracts(["bench/contracts/FloorSwap.sol"], SUITE_SETTINGS, cache_dir=tmp_path)
    assert not first.cached
    assert second.cached
    assert second.input_hash == first.input_hash
    assert second.get("FloorSwap").bytecode == first.get("FloorSwap").bytecode
    assert any(f["name"] == "fill" for f in first.get("FloorSwap").abi if f["type"] == "function")
    with pytest.raises(CompileError, match="Nope"):
        second.get("Nope")


@pytest.mark.slow
def test_compile_reports_compiler_errors(tmp_path: Path) -> None:
    (tmp_path / "Bad.sol").write_text("pragma solidity 0.8.28; contract Bad { function f( }", encoding="utf-8")
    with pytest.raises(CompileError, match="ParserError"):
        compile_contracts(["Bad.sol"], SUITE_SETTINGS, cache_dir=None, roots=[tmp_path])


# ---------------------------------------------------------------- Seaport types


def test_seaport_type_strings_give_the_published_order_typehash() -> None:
    types_ = eip712_types()

    def encode(name: str) -> str:
        return name + "(" + ",".join(f"{f['type']} {f['name']}" for f in types_[name]) + ")"

    full = encode("OrderComponents") + encode("ConsiderationItem") + encode("OfferItem")
    # Seaport's OrderComponents typehash, as published with every Seaport release since 1.1.
    assert keccak(full.encode()).hex() == "fa445660b7e21515a59617fcd68910b487aa5808b8abda3d78bc85df364b2c2f"


def test_seaport_listing_validates_fields() -> None:
    seller = dev_account(1).address
    base: dict[str, Any] = {
        "offerer": seller, "nft": seller, "token_id": 1, "currency": seller, "price": 5,
        "start_time": 10, "end_time": 20, "salt": 1, "counter": 0,
    }  # fmt: skip
    SeaportListing(**base)
    with pytest.raises(ValueError, match="price"):
        SeaportListing(**{**base, "price": 0})
    with pytest.raises(ValueError, match="end_time"):
        SeaportListing(**{**base, "end_time": 10})
    with pytest.raises(ValueError, match="signer"):
        SeaportListing(**base).sign(dev_account(2), chain_id=1, seaport=seller)
    with pytest.raises(ValueError, match="signature"):
        SeaportListing(**base).basic_order_parameters(b"\x00" * 10)


# ---------------------------------------------------------------- dev accounts and the node


def test_dev_accounts_are_anvils_well_known_accounts() -> None:
    # anvil prints these two addresses for its default mnemonic (public knowledge; no key is written here).
    accounts = dev_accounts(2)
    assert accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert accounts[1].address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    with pytest.raises(ValueError, match="index"):
        dev_account(-1)


def test_anvil_node_starts_funds_and_stops() -> None:
    node = AnvilNode(genesis_timestamp=1_767_225_600)
    with node:
        w3 = node.web3()
        assert w3.eth.get_block(0)["timestamp"] == 1_767_225_600
        assert w3.eth.get_balance(dev_account(0).address) == 10_000 * 10**18
        url = node.url
    with pytest.raises(BenchError, match="not running"):
        _ = node.url
    assert url.startswith("http://127.0.0.1:")


# ---------------------------------------------------------------- targets and the report


def test_targets_met_missed_and_not_measured() -> None:
    figures: dict[str, int | float | None] = {
        "settle_gas": 100_000, "seaport_fulfill_basic_gas": 110_000,  # met, headroom 10,000
        "payout_gas": 66_000,  # missed by 6,000 (10%)
        "sign_per_s": 10_000.0, "eth_account_sign_per_s": 1_000.0,  # 20k missed; 6x met
    }  # fmt: skip
    by_id = {r.target.id: r for r in evaluate_targets(figures)}
    assert by_id["settle_vs_seaport"].status == "met"
    assert by_id["settle_vs_seaport"].gap == "headroom 10,000 (9.1%)"
    assert by_id["payout_60k"].status == "missed"
    assert by_id["payout_60k"].gap == "6,000 over (10.0%)"
    assert by_id["sign_20k"].status == "missed"
    assert by_id["sign_20k"].gap == "10,000 short (50.0%)"
    assert by_id["sign_vs_eth_account"].status == "met"
    assert by_id["transfer_vs_trex"].status == "not measured"
    assert by_id["batch_settle"].gap == "missing: batch_settle_gas_per_offer"
    ratios = compute_ratios(figures)
    assert ratios["settle_over_seaport"] == round(100_000 / 110_000, 4)
    assert ratios["transfer_over_trex"] is None


def test_declare_round_flat_means_within_two_percent() -> None:
    flat = {"declare_round_gas_10": 50_000, "declare_round_gas_1000": 50_900, "declare_round_gas_100000": 51_100}
    by_id = {r.target.id: r.status for r in evaluate_targets(flat)}
    assert by_id["declare_flat_1000"] == "met"
    assert by_id["declare_flat_100000"] == "missed"


def test_notes_file_is_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[notes]\npayout_60k = "pack the round record"\n', encoding="utf-8")
    assert load_notes(good) == {"payout_60k": "pack the round record"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[notes]\nno_such_target = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="no_such_target"):
        load_notes(bad)
    assert load_notes(tmp_path / "absent.toml") == {}
    assert load_notes() is not None  # the committed notes file parses


def test_markdown_prints_a_missed_target_with_its_note() -> None:
    figures: dict[str, int | float | None] = {"payout_gas": 66_000, "odd_extra_gas": 5}
    results = {
        "mode": "full", "generated_at": "2026-01-01T00:00:00Z", "seconds": 1.0, "figures": figures,
        "missing": {}, "targets": [r.to_json() for r in evaluate_targets(figures)],
        "ratios": compute_ratios(figures), "groups": {}, "conditions": {"commit": "abc", "stablecoin": "MockUSDC"},
    }  # fmt: skip
    markdown = render_markdown(results, {"payout_60k": "Pack the round record into one slot."})
    assert "- **payout_gas <= 60,000**: 6,000 over (10.0%). Pack the round record into one slot." in markdown
    assert "| `odd_extra_gas` | 5 |" in markdown  # a figure not in bench/figures.py is still shown


# ---------------------------------------------------------------- the run's group handling


@pytest.mark.parametrize(
    ("figures", "problem"),
    [
        ([("settle_gas", 1)], "not a mapping"),
        ({"settle_gas": True}, "finite non-negative"),
        ({"settle_gas": -1}, "finite non-negative"),
        ({"settle_gas": float("nan")}, "finite non-negative"),
        ({"seaport_fulfill_basic_gas": 1}, "belongs to group anchors"),
        ({"": 1}, "non-empty string"),
    ],
)
def test_group_figures_are_validated(figures: object, problem: str) -> None:
    with pytest.raises(BenchError, match=problem):
        bench_run._validate("pyclaims", figures)


def _fake_group(monkeypatch: pytest.MonkeyPatch, name: str, measure: Any) -> GroupSpec:
    module = types.ModuleType(f"bench_test_group_{name}")
    module.measure = measure  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return GroupSpec(name, module.__name__, "test", "a group made up by the test")


@pytest.mark.slow
def test_a_broken_group_fails_the_run_but_results_are_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def boom(ctx: Any) -> dict[str, int]:
        raise RuntimeError("the group broke")

    def fine(ctx: Any) -> dict[str, float]:
        assert ctx.quick and ctx.w3.eth.chain_id == ctx.chain.chain_id and len(ctx.accounts) == 10
        return {"some_rate_per_s": 12.5}

    broken = _fake_group(monkeypatch, "broken", boom)
    working = _fake_group(monkeypatch, "working", fine)
    absent = GroupSpec("absent", "bench_test_group_that_does_not_exist", "test", "not written yet")
    monkeypatch.setattr(bench_run, "GROUPS", (broken, working, absent))
    out = tmp_path / "results.json"
    outcome = bench_run.run(quick=True, out=out, markdown=tmp_path / "B.md")
    assert not outcome.ok
    assert outcome.broken == ("broken",)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["groups"]["broken"]["status"] == "failed: RuntimeError: the group broke"
    assert written["groups"]["working"]["status"] == "ok"
    assert written["figures"]["some_rate_per_s"] == 12.5
    assert written["groups"]["absent"]["status"].startswith("not written yet")
    assert written["missing"]["seaport_fulfill_basic_gas"] == "not run"
    with pytest.raises(ValueError, match="unknown groups"):
        bench_run.run(quick=True, only=["nope"], out=out)
