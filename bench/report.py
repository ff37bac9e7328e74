"""Targets, ratios and ``BENCHMARKS.md`` from one run's figures.

Targets are a benchmark, not a test: a missed target is reported with its gap, never raised. What it would take
to meet a missed target is written by people in ``bench/target_notes.toml`` (``[notes] <target id> = "..."``)
and printed under that target on every regeneration.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.figures import FIGURES, GROUPS, KNOWN_ANCHORS
from bench.solidity import PROJECT_ROOT

__all__ = [
    "NOTES_FILE",
    "RATIOS",
    "TARGETS",
    "Ratio",
    "Target",
    "TargetResult",
    "compute_ratios",
    "evaluate_targets",
    "load_notes",
    "render_markdown",
]

NOTES_FILE = PROJECT_ROOT / "bench" / "target_notes.toml"

Value = int | float | None


@dataclass(frozen=True)
class Target:
    """``figure <op> factor x reference`` (or ``<op> constant`` when ``reference`` is None).

    ``op`` is ``"<="`` (lower is better) or ``">="`` (higher is better).
    """

    id: str
    figure: str
    op: str
    factor: float
    reference: str | None
    text: str

    def limit(self, figures: Mapping[str, Value]) -> float | None:
        """The bound the figure is held to, or None when the reference is not measured."""
        if self.reference is None:
            return self.factor
        ref = figures.get(self.reference)
        return None if ref is None else self.factor * ref


@dataclass(frozen=True)
class TargetResult:
    """A target evaluated: ``status`` is ``"met"``, ``"missed"`` or ``"not measured"``."""

    target: Target
    value: Value
    limit: float | None
    status: str
    gap: str

    def to_json(self) -> dict[str, Any]:
        """As stored in ``results.json``."""
        return {
            "id": self.target.id,
            "rule": self.target.text,
            "figure": self.target.figure,
            "value": self.value,
            "limit": None if self.limit is None else round(self.limit, 3),
            "status": self.status,
            "gap": self.gap,
        }


def _t(id_: str, figure: str, op: str, factor: float, reference: str | None, text: str) -> Target:
    return Target(id=id_, figure=figure, op=op, factor=factor, reference=reference, text=text)


TARGETS: tuple[Target, ...] = (
    _t("settle_vs_seaport", "settle_gas", "<=", 1.0, "seaport_fulfill_basic_gas",
       "settle_gas <= seaport_fulfill_basic_gas (with eligibility and claim-status checks)"),
    _t("transfer_vs_trex", "claim_transfer_gas", "<=", 0.30, "trex_transfer_gas",
       "claim_transfer_gas <= 0.30 x trex_transfer_gas"),
    _t("attest_vs_trex_onboarding", "attest_gas", "<=", 0.08, "trex_onboarding_gas",
       "attest_gas <= 0.08 x trex_onboarding_gas"),
    _t("payout_60k", "payout_gas", "<=", 60_000, None, "payout_gas <= 60,000"),
    _t("declare_flat_1000", "declare_round_gas_1000", "<=", 1.02, "declare_round_gas_10",
       "declare_round_gas_1000 within 2% of declare_round_gas_10 (flat)"),
    _t("declare_flat_100000", "declare_round_gas_100000", "<=", 1.02, "declare_round_gas_10",
       "declare_round_gas_100000 within 2% of declare_round_gas_10 (flat)"),
    _t("batch_settle", "batch_settle_gas_per_offer", "<=", 0.75, "settle_gas",
       "batch_settle_gas_per_offer <= 0.75 x settle_gas"),
    _t("sign_20k", "sign_per_s", ">=", 20_000, None, "sign_per_s >= 20,000"),
    _t("sign_vs_eth_account", "sign_per_s", ">=", 6.0, "eth_account_sign_per_s",
       "sign_per_s >= 6 x eth_account_sign_per_s"),
    _t("settle_tx_300", "settle_tx_per_s", ">=", 300, None, "settle_tx_per_s >= 300"),
)  # fmt: skip
"""Issue 5's targets. "Flat" is read as: within 2% of the 10-claim figure (1 gas per claim at 100,000 claims
would already exceed it)."""


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator``, shown in BENCHMARKS.md."""

    id: str
    numerator: str
    denominator: str
    text: str


RATIOS: tuple[Ratio, ...] = (
    Ratio("settle_over_seaport", "settle_gas", "seaport_fulfill_basic_gas", "pyclaims fill / Seaport basic order"),
    Ratio("settle_over_floor", "settle_gas", "floor_signed_swap_gas", "pyclaims fill / the floor"),
    Ratio("seaport_over_floor", "seaport_fulfill_basic_gas", "floor_signed_swap_gas", "Seaport / the floor"),
    Ratio("escrow_over_settle", "escrow_fill_gas", "settle_gas", "escrowed-bid fill / fill"),
    Ratio("batch_over_settle", "batch_settle_gas_per_offer", "settle_gas", "batch fill per offer / fill"),
    Ratio("transfer_over_trex", "claim_transfer_gas", "trex_transfer_gas", "claim transfer / T-REX transfer"),
    Ratio("attest_over_trex_onboarding", "attest_gas", "trex_onboarding_gas", "attestation / T-REX onboarding"),
    Ratio("attest_signed_over_trex_onboarding", "attest_signed_gas", "trex_onboarding_gas",
          "signed attestation / T-REX onboarding"),
    Ratio("payout_over_merkle", "payout_gas", "merkle_claim_gas_100k", "payout / MerkleDistributor claim"),
    Ratio("batch_payout_over_payout", "batch_payout_gas_per_claim", "payout_gas", "batch payout per claim / payout"),
    Ratio("declare_100000_over_10", "declare_round_gas_100000", "declare_round_gas_10",
          "declare round, 100,000 claims / 10 claims"),
    Ratio("sign_over_eth_account", "sign_per_s", "eth_account_sign_per_s", "SDK signing / eth-account signing"),
    Ratio("settle_tx_over_web3", "settle_tx_per_s", "web3_default_tx_per_s", "SDK fills per s / plain web3.py per s"),
)  # fmt: skip


def _fmt(value: Value, unit: str = "gas") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def evaluate_targets(figures: Mapping[str, Value]) -> list[TargetResult]:
    """Every target against ``figures``."""
    results = []
    for target in TARGETS:
        value = figures.get(target.figure)
        limit = target.limit(figures)
        if value is None or limit is None:
            missing = [n for n in (target.figure, target.reference) if n is not None and figures.get(n) is None]
            results.append(TargetResult(target, value, limit, "not measured", f"missing: {', '.join(missing)}"))
            continue
        met = value <= limit if target.op == "<=" else value >= limit
        if met:
            headroom = (limit - value) if target.op == "<=" else (value - limit)
            gap = f"headroom {_fmt(headroom)} ({headroom / limit:.1%})" if limit else "met"
            results.append(TargetResult(target, value, limit, "met", gap))
        else:
            over = (value - limit) if target.op == "<=" else (limit - value)
            word = "over" if target.op == "<=" else "short"
            results.append(TargetResult(target, value, limit, "missed", f"{_fmt(over)} {word} ({over / limit:.1%})"))
    return results


def compute_ratios(figures: Mapping[str, Value]) -> dict[str, float | None]:
    """Every ratio (4 decimals), None when a side is not measured or the denominator is zero."""
    out: dict[str, float | None] = {}
    for ratio in RATIOS:
        num, den = figures.get(ratio.numerator), figures.get(ratio.denominator)
        out[ratio.id] = None if num is None or not den else round(num / den, 4)
    return out


def load_notes(path: Path = NOTES_FILE) -> dict[str, str]:
    """``[notes]`` of ``bench/target_notes.toml``: target id -> what it would take (empty when absent)."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from exc
    notes = data.get("notes", {})
    if not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values()):
        raise ValueError(f"{path}: [notes] must map target ids to strings")
    known = {t.id for t in TARGETS}
    unknown = set(notes) - known
    if unknown:
        raise ValueError(f"{path}: unknown target ids {sorted(unknown)} (known: {sorted(known)})")
    return dict(notes)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(results: Mapping[str, Any], notes: Mapping[str, str]) -> str:
    """BENCHMARKS.md for the ``results`` dictionary written to ``results.json``."""
    figures: Mapping[str, Value] = results["figures"]
    missing: Mapping[str, str] = results.get("missing", {})
    conditions: Mapping[str, str] = results["conditions"]
    quick = results["mode"] == "quick"
    out: list[str] = ["# pyclaims benchmarks", ""]
    out.append(
        f"Generated by `make bench` (`python -m bench.run`) at {results['generated_at']} from commit "
        f"`{conditions.get('commit', 'unknown')}`; mode **{results['mode']}**, {results['seconds']:.0f} s. "
        "Do not edit by hand: figures come from `bench/results.json`, notes on missed targets from "
        "`bench/target_notes.toml`."
    )
    if quick:
        out += ["", "**Quick mode (CI)**: small N; the figures are not comparable with a full run."]
    out += ["", "Everything below was measured in one run on one fresh anvil node; gas is receipt `gasUsed`.", ""]

    out += ["## Targets", ""]
    target_rows = []
    for item in results["targets"]:
        status = {"met": "met", "missed": "**missed**", "not measured": "not measured"}[item["status"]]
        limit = "—" if item["limit"] is None else _fmt(item["limit"])
        target_rows.append([item["rule"], _fmt(item["value"]), limit, status, item["gap"]])
    out += _table(["target", "value", "limit", "status", "gap"], target_rows)
    missed = [item for item in results["targets"] if item["status"] == "missed"]
    if missed:
        out += ["", "### Missed targets: by how much, and what it would take", ""]
        for item in missed:
            note = notes.get(item["id"], "_No note yet: add one under `[notes]` in `bench/target_notes.toml`._")
            out += [f"- **{item['rule']}**: {item['gap']}. {note}"]
    out.append("")

    def figure_rows(group: str) -> list[list[str]]:
        rows = []
        for name, spec in FIGURES.items():
            if spec.group != group or (not spec.stable and figures.get(name) is None):
                continue
            value = (
                _fmt(figures.get(name)) if figures.get(name) is not None else f"— ({missing.get(name, 'not measured')})"
            )
            row = [f"`{name}`", value, spec.description]
            if group == "anchors":
                row.insert(2, KNOWN_ANCHORS.get(name, ""))
            rows.append(row)
        return rows

    out += ["## pyclaims (gas)", ""]
    out += _table(["figure", "gas", "what"], figure_rows("pyclaims"))
    out += ["", "## Anchors (gas)", ""]
    out += _table(["figure", "gas", "issue 3 reference", "what"], figure_rows("anchors"))
    out += ["", "## Python throughput", ""]
    out += _table(["figure", "per second", "what"], figure_rows("sign") + figure_rows("tx"))
    others = [name for name in figures if name not in FIGURES and figures[name] is not None]
    if others:
        out += ["", "## Other figures", "", "Returned by a group but not (yet) described in `bench/figures.py`.", ""]
        out += _table(["figure", "value"], [[f"`{name}`", _fmt(figures[name])] for name in others])
    out += ["", "## Ratios", ""]
    ratio_rows = [
        [
            r.text,
            f"`{r.numerator}` / `{r.denominator}`",
            "—" if results["ratios"][r.id] is None else f"{results['ratios'][r.id]:.3f}",
        ]
        for r in RATIOS
    ]
    out += _table(["ratio", "figures", "value"], ratio_rows)

    out += ["", "## How the anchors are measured", ""]
    out += [
        "- **Steady state** (as `settle_gas`): the seller already holds the stablecoin and the buyer already holds an",
        "  item of the collection, so no balance goes from zero to non-zero. The seller sells the last item it holds",
        "  (its ERC-721 balance goes to zero, as when a creditor sells its only claim). Each swap anchor fills one",
        "  warm-up order first and measures the second. Approvals are the marketplace default: `setApprovalForAll`",
        "  for the ERC-721, an unlimited allowance for the stablecoin (MockUSDC, like FiatToken, still decrements it).",
        f"- **Stablecoin**: {conditions.get('stablecoin', 'unknown')}, the same contract for every anchor and for",
        "  pyclaims.",
        "- **Seaport 1.6**: `seaport-core` compiled from npm (never committed), ConduitController then Seaport",
        "  deployed; a basic order `ERC20_TO_ERC721_FULL_OPEN`, no conduit, no zone, no additional recipients,",
        "  a 65-byte signature, a full-width salt; the order hash is checked against Seaport's own `getOrderHash`.",
        "- **Floor** (`bench/contracts/FloorSwap.sol`): ecrecover of an EIP-712 digest, a used-order mark, the",
        "  ERC-721 and the ERC-20 transfers, nothing else.",
        "- **T-REX 4.1.6**: the shipped artifacts deployed as T-REX's own fixture does (implementations behind a",
        "  `TREXImplementationAuthority`, proxies, `ModularCompliance` without modules, ONCHAINID identity proxies);",
        "  one claim topic, one trusted `ClaimIssuer`. Onboarding = identity proxy deployment + `registerIdentity` +",
        "  `addClaim` with an issuer-signed claim (the third investor onboarded). Transfer: the second of two",
        "  transfers between two onboarded investors who both hold tokens.",
        "- **MerkleDistributor**: the npm build JSON; the tree is built in Python with the same leaf encoding and",
        "  sorted-pair hashing; `merkle_claim_gas_100k` is a claim whose recipient already holds the stablecoin in a",
        "  bitmap word already used; `merkle_claim_gas_100k_fresh` is the first claim of a word to an empty wallet.",
        "- Signed times come from a fixed genesis timestamp, so calldata, and gas, repeat exactly from run to run.",
    ]

    out += ["", "## Conditions", ""]
    out += _table(["", ""], [[key.replace("_", " "), value] for key, value in conditions.items()])
    out += ["", "## Groups", ""]
    group_rows = []
    for spec in GROUPS:
        info = results["groups"].get(spec.name, {"status": "not run"})
        seconds = f"{info['seconds']:.1f} s" if "seconds" in info else "—"
        group_rows.append([spec.name, f"`{spec.module}`", spec.owner, info["status"], seconds])
    out += _table(["group", "module", "owner", "status", "time"], group_rows)
    out.append("")
    return "\n".join(out)
