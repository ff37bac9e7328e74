"""The main job: the whole pyclaims lifecycle, end to end, on a local anvil it starts and stops itself.

``python -m pyclaims.demo`` (``make demo``) runs, on a fresh npm anvil (``--hardfork cancun``, a free port):

1. **deploy** the suite from the SDK's shipped bytecode (:func:`pyclaims.deployments.deploy_suite`), one wallet
   per role (verifier, compliance, validator, trust, resolver) besides the admin;
2. **onboard** wallets: anvil's dev accounts plus more accounts derived from its public mnemonic and funded with
   ETH; the compliance officer restricts six jurisdictions; the verifier attests most wallets directly and signs
   the rest offline (gasless for the verifier: a relayer submits them); some creditors live in restricted
   jurisdictions;
3. **schedule**: a realistic claims schedule (:func:`pyclaims.demo_data.generate_schedule`: ~1,000 claims,
   heavy-tailed amounts, both classes, a share in restricted jurisdictions, a few planted bad rows) written as
   CSV and JSON;
4. **validate** both files: every planted bad row is rejected with its row and field, the good rows are classified
   and restricted holders' claims marked disputed;
5. **mint** the accepted rows, journaled and batched;
6. **trade**: sellers sign asks and buyers sign bids (specific bids escrowed in the market, and class bids);
   every seller sees the value of holding next to the offer (:mod:`pyclaims.valuation`) and sells only when the
   offer is worth more to them; fills are atomic, some one by one, some in one batch;
7. **distribute** two rounds, the convenience class first, then the general class (72% then 54% of allowed by
   default); one convenience claim trades after its round was declared, and the holder of record is paid;
   disputed claims' payouts are withheld;
8. **resolve** some disputes: a legal opinion lifts one jurisdiction's restriction (the validator re-allows its
   claims and the resolver releases their withheld payouts), objections are settled (released), and one claim is
   expunged (the resolver returns its share to the trust);
9. **reconcile** to the base unit: every dollar minted into the system equals every dollar held by wallets plus
   what the distributor still withholds plus what the market still escrows; every wallet's balance equals its
   ledger built from the SDK's own records; each round balances; zero fees;
10. **report**: counts, money, gas per operation (receipt ``gasUsed``), wall time, into ``--out`` (default
    ``.demo/``): ``report.json``, ``chart.png``, the schedule files, the validation report, the offer documents
    and the mint journal.

The node is stopped on every exit path (normal end, error, Ctrl-C, SIGTERM). The exit code is 0 when every
reconciliation check holds, 1 otherwise (or on any failure).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import click
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from pyclaims._node import LocalNode, dev_account
from pyclaims._rpc import call_many
from pyclaims.client import Client, sign_attestation
from pyclaims.demo_data import DemoIdentity, generate_schedule
from pyclaims.deployments import Deployment, deploy_suite
from pyclaims.distributions import PayoutReport, RoundPlan, declare, pay_round, plan_round
from pyclaims.distributions import reconcile as reconcile_rounds
from pyclaims.errors import PyclaimsError
from pyclaims.minting import mint_schedule
from pyclaims.models import (
    FLAG_ACCREDITED,
    FLAG_PAYOUT_READY,
    FLAG_US_PERSON,
    PayoutKind,
    PayoutRecord,
    Receipt,
    SettlementRecord,
)
from pyclaims.offers import SignedOrder, ask, bid_for_claim, class_bid, payment_for
from pyclaims.schedule import ScheduleRow, ValidationReport, read_schedule
from pyclaims.settlement import FillsReport, ensure_allowance, fill_many
from pyclaims.tx import TxSender
from pyclaims.types import RATE_SCALE, ClaimStatus, format_usd
from pyclaims.valuation import ExpectedRound, HoldingInputs, HoldingValue, compare_offer, value_holding

__all__ = [
    "DemoConfig",
    "DemoError",
    "main",
    "run_demo",
]

REPORT_FORMAT: Final = "pyclaims.demo-report"
REPORT_VERSION: Final = 1

# Dev account indexes of the roles (anvil funds 0..9).
_ADMIN, _VERIFIER, _COMPLIANCE, _VALIDATOR, _TRUST, _RESOLVER, _RELAYER = range(7)
_FIRST_DERIVED: Final = 10
_ETH_PER_WALLET: Final = 10**18  # 1 ETH each for gas
_ATTESTATION_DAYS: Final = 365
_OFFER_DAYS: Final = 7
_USD: Final = 1_000_000
_BLOCK_GAS_BUDGET: Final = 27_000_000  # anvil's block gas limit is 30M
_MINT_GAS_PER_CLAIM: Final = 160_000  # ~128k used, with the sender's 20% estimate margin and some headroom
_PAYOUT_GAS_PER_CLAIM: Final = 25_000  # ~16k used per claim in a payoutBatch, with margin

# What the market expects from each class from "today": (days ahead, cumulative rate ppm, probability ppm).
# The convenience class was promised ~120% over time; the general class less, later and less surely.
_OUTLOOK: Final[Mapping[str, tuple[tuple[int, int, int], ...]]] = {
    "convenience": ((21, 720_000, 970_000), (200, 1_200_000, 750_000)),
    "general": ((60, 540_000, 920_000), (300, 1_000_000, 700_000), (640, 1_180_000, 450_000)),
}
_SELLER_DISPUTE_PPM: Final = 20_000  # a seller's own view of the chance their allowed claim turns disputed
_BUYER_DISPUTE_PPM: Final = 30_000  # buyers are a little more careful


class DemoError(PyclaimsError):
    """The demo could not run (a step failed); the message says which."""


@dataclass(frozen=True)
class DemoConfig:
    """What the demo does.

    Attributes:
        claims: valid claims in the generated schedule (planted bad rows come on top).
        creditors: creditor wallets (derived from anvil's mnemonic and funded with ETH).
        buyers: buyer (fund) wallets.
        seed: seeds the schedule, the decisions and the order salts: same seed, same story.
        out_dir: where the report, chart and files go.
        chart: draw ``chart.png`` (matplotlib).
        mint_batch: claims per ``mintBatch`` transaction.
        payout_batch: claims per ``payoutBatch`` transaction.
        convenience_rate_ppm: round 1's cumulative rate for the convenience class.
        general_rate_ppm: round 2's cumulative rate for the general class.
        anvil: the anvil binary (default: ``node_modules/.bin/anvil``).
    """

    claims: int = 1_000
    creditors: int = 48
    buyers: int = 4
    seed: int = 2025
    out_dir: Path = Path(".demo")
    chart: bool = True
    mint_batch: int = 50
    payout_batch: int = 150
    convenience_rate_ppm: int = 720_000
    general_rate_ppm: int = 540_000
    anvil: str | None = None

    def __post_init__(self) -> None:
        if not 10 <= self.claims <= 20_000:
            raise ValueError(f"claims: must be in 10..20000, got {self.claims}")
        if not 4 <= self.creditors <= 500:
            raise ValueError(f"creditors: must be in 4..500, got {self.creditors}")
        if not 1 <= self.buyers <= 20:
            raise ValueError(f"buyers: must be in 1..20, got {self.buyers}")
        if not 1 <= self.mint_batch <= 500:
            raise ValueError(f"mint_batch: must be in 1..500, got {self.mint_batch}")
        if not 1 <= self.payout_batch <= 500:
            raise ValueError(f"payout_batch: must be in 1..500, got {self.payout_batch}")
        for name in ("convenience_rate_ppm", "general_rate_ppm"):
            value = getattr(self, name)
            if not 0 < value <= 10 * RATE_SCALE:
                raise ValueError(f"{name}: must be in 1..{10 * RATE_SCALE} ppm, got {value}")


# ------------------------------------------------------------------------------------------------ bookkeeping


class _GasBook:
    """Receipt ``gasUsed`` per operation; batch operations also record how many items each transaction did."""

    def __init__(self) -> None:
        self._entries: dict[str, list[tuple[int, int]]] = {}

    def add(self, op: str, gas: int, items: int = 1) -> None:
        self._entries.setdefault(op, []).append((gas, items))

    def receipt(self, op: str, receipt: Receipt, items: int = 1) -> Receipt:
        self.add(op, receipt.gas_used, items)
        return receipt

    @property
    def transactions(self) -> int:
        return sum(len(v) for v in self._entries.values())

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for op, entries in sorted(self._entries.items()):
            gas = [g for g, _ in entries]
            items = sum(n for _, n in entries)
            stats: dict[str, Any] = {
                "transactions": len(entries),
                "total": sum(gas),
                "min": min(gas),
                "median": int(statistics.median(gas)),
                "max": max(gas),
            }
            if items != len(entries):
                stats["items"] = items
                stats["per_item_mean"] = sum(gas) // items
            out[op] = stats
        return out


class _Ledger:
    """What each wallet's stablecoin balance must be, built only from the SDK's own records of what happened."""

    def __init__(self) -> None:
        self.expected: dict[str, int] = {}
        self.minted = 0

    def mint(self, to: str, amount: int) -> None:
        self.minted += amount
        self.credit(to, amount)

    def credit(self, who: str, amount: int) -> None:
        self.expected[who] = self.expected.get(who, 0) + amount

    def debit(self, who: str, amount: int) -> None:
        self.expected[who] = self.expected.get(who, 0) - amount


@dataclass
class _Trade:
    """One offer the demo made, what the seller saw, and how it ended."""

    kind: str
    claim_id: int
    class_name: str
    allowed: int
    seller: str
    buyer: str
    price: int
    hold_value: int
    buyer_value: int
    accepted: bool
    signed: SignedOrder | None = None
    settlement: SettlementRecord | None = None
    note: str = ""

    def as_dict(self, comparison: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "claim_id": self.claim_id,
            "class": self.class_name,
            "allowed": str(self.allowed),
            "price": str(self.price),
            "hold_value": str(self.hold_value),
            "buyer_value": str(self.buyer_value),
            "seller": self.seller,
            "buyer": self.buyer,
            "order_hash": "0x" + self.signed.hash.hex() if self.signed else None,
            "tx_hash": self.settlement.tx_hash if self.settlement else None,
            "escrowed": self.settlement.escrowed if self.settlement else None,
            **comparison,
        }


@dataclass
class _Phase:
    name: str
    seconds: float = 0.0


@dataclass
class _State:
    """Everything the steps share."""

    config: DemoConfig
    echo: Callable[[str], None]
    started: float
    gas: _GasBook = field(default_factory=_GasBook)
    ledger: _Ledger = field(default_factory=_Ledger)
    phases: list[_Phase] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ helpers


def _ok(results: Sequence[Receipt | PyclaimsError], what: str) -> list[Receipt]:
    """The receipts of a pipelined batch, or the first error (the demo never ignores a failure)."""
    out: list[Receipt] = []
    for result in results:
        if isinstance(result, PyclaimsError):
            raise DemoError(f"{what}: {result}") from result
        out.append(result)
    return out


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _outlook(class_name: str, today: dt.date) -> tuple[ExpectedRound, ...]:
    return tuple(
        ExpectedRound(today + dt.timedelta(days=days), rate, prob) for days, rate, prob in _OUTLOOK[class_name]
    )


def _value(allowed: int, class_name: str, today: dt.date, rate_ppm: int, dispute_ppm: int) -> HoldingValue:
    return value_holding(
        HoldingInputs(
            allowed_amount=allowed,
            rounds=_outlook(class_name, today),
            valuation_date=today,
            annual_discount_rate_ppm=rate_ppm,
            dispute_probability_ppm=dispute_ppm,
        )
    )


def _pct(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.1f}%" if denominator else "n/a"


# ------------------------------------------------------------------------------------------------ the run


class _Demo:
    """One run of the lifecycle against one node."""

    def __init__(self, config: DemoConfig, url: str, state: _State) -> None:
        self.config = config
        self.url = url
        self.s = state
        self.out = config.out_dir
        self.rng = random.Random(config.seed * 7919 + 1)  # noqa: S311 - demo decisions, not cryptography
        self.w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
        self.admin_account = dev_account(_ADMIN)
        self.buyer_accounts = [dev_account(_FIRST_DERIVED + i) for i in range(config.buyers)]
        self.creditor_accounts = [dev_account(_FIRST_DERIVED + config.buyers + i) for i in range(config.creditors)]
        self.accounts: dict[str, LocalAccount] = {a.address: a for a in [*self.buyer_accounts, *self.creditor_accounts]}
        self.trades: list[_Trade] = []
        self.payouts: list[PayoutRecord] = []
        self.deposits: dict[bytes, tuple[str, int]] = {}
        self.withdrawn: dict[bytes, int] = {}
        self.record_date_trade: dict[str, Any] = {}
        self.resolutions: dict[str, Any] = {}
        self.example: dict[str, str] = {}
        self.plans: dict[int, RoundPlan] = {}
        self.withheld: list[tuple[int, int]] = []

    # ---------------------------------------------------------------- clients

    def client(self, index_or_account: int | LocalAccount) -> Client:
        account = dev_account(index_or_account) if isinstance(index_or_account, int) else index_or_account
        return self.admin.using(account)

    def echo(self, text: str) -> None:
        self.s.echo(f"[{time.perf_counter() - self.s.started:6.1f}s] {text}")

    # ---------------------------------------------------------------- 1. deploy

    def deploy(self) -> None:
        sender = TxSender(self.w3, self.admin_account, expected_chain_id=self.w3.eth.chain_id)
        roles = {
            "VERIFIER_ROLE": [dev_account(_VERIFIER).address],
            "COMPLIANCE_ROLE": [dev_account(_COMPLIANCE).address],
            "VALIDATOR_ROLE": [dev_account(_VALIDATOR).address],
            "RECOVERY_ROLE": [dev_account(_ADMIN).address],
            "PAUSER_ROLE": [dev_account(_ADMIN).address],
            "DISTRIBUTOR_ROLE": [dev_account(_TRUST).address],
            "RESOLVER_ROLE": [dev_account(_RESOLVER).address],
        }
        self.deployment: Deployment = deploy_suite(self.w3, sender, roles=roles, save_to=self.out / "deployment.json")
        for name, tx_hash in sorted(self.deployment.tx_hashes.items()):
            receipt = self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            if name in ("ClaimToken", "MockUSDC"):
                self.s.gas.add(f"deploy_{name}", int(receipt["gasUsed"]))
        grants = sum(len(role.get("grants", [])) for role in self.deployment.document.get("roles", {}).values())
        self.s.counts["role_grants"] = grants
        self.admin = Client.connect(self.w3, self.deployment, account=self.admin_account, receipt_timeout=30.0)
        self.verifier = self.client(_VERIFIER)
        self.compliance = self.client(_COMPLIANCE)
        self.validator = self.client(_VALIDATOR)
        self.trust = self.client(_TRUST)
        self.resolver = self.client(_RESOLVER)
        self.relayer = self.client(_RELAYER)
        self.buyers = [self.client(a) for a in self.buyer_accounts]
        self.by_address: dict[str, Client] = {c.address: c for c in self.buyers}
        d = self.deployment
        self.echo(
            f"deploy     ClaimToken {d.token}, market {d.market}, distributor {d.distributor}, "
            f"MockUSDC {d.stablecoin} ({grants} role grants)"
        )

    # ---------------------------------------------------------------- 2. onboard

    def onboard(self) -> None:
        cfg = self.config
        wallets = [a.address for a in self.creditor_accounts]
        self.schedule = generate_schedule(wallets, n=cfg.claims, seed=cfg.seed)
        self.restricted = sorted(self.schedule.restricted_countries)
        # ETH for gas, pipelined from the admin.
        fund = [
            {"to": a.address, "data": b"", "value": _ETH_PER_WALLET, "gas": 21_000}
            for a in [*self.buyer_accounts, *self.creditor_accounts]
        ]
        sent = self.admin.sender.send_many(fund)
        for tx_receipt in self.admin.sender.wait(sent):
            self.s.gas.add("fund_eth", int(tx_receipt["gasUsed"]))
        self.s.gas.receipt("set_restricted", self.compliance.set_restricted(self.restricted, True))

        now = self.admin.block_timestamp()
        self.today = dt.datetime.fromtimestamp(now, dt.UTC).date()
        expiry = now + _ATTESTATION_DAYS * 86_400
        buyer_ids = [
            DemoIdentity(a.address, 9_000_000_000 + i, 840 if i % 2 == 0 else 826)
            for i, a in enumerate(self.buyer_accounts)
        ]
        identities = [*self.schedule.identities, *buyer_ids]
        self.identity: dict[str, DemoIdentity] = {i.wallet: i for i in identities}
        direct: list[DemoIdentity] = []
        by_sig: list[DemoIdentity] = []
        for i, ident in enumerate(identities):
            (by_sig if i % 3 == 2 else direct).append(ident)

        def flags(ident: DemoIdentity) -> int:
            if ident.wallet in {a.address for a in self.buyer_accounts}:
                return FLAG_ACCREDITED | FLAG_PAYOUT_READY | (FLAG_US_PERSON if ident.country == 840 else 0)
            return FLAG_PAYOUT_READY

        txs = [
            self.verifier.tx_request(
                "ClaimToken", "attest", ident.wallet, ident.entity_id, ident.country, expiry, flags(ident)
            )
            for ident in direct
        ]
        for receipt in _ok(self.verifier.send_all(txs), "attest"):
            self.s.gas.receipt("attest", receipt)
        # Gasless for the verifier: it signs offline (no node needed); a relayer pays to submit.
        verifier_key = dev_account(_VERIFIER)
        signed = [
            sign_attestation(
                self.deployment,
                verifier_key,
                wallet=ident.wallet,
                entity_id=ident.entity_id,
                country=ident.country,
                expiry=expiry,
                flags=flags(ident),
                nonce=0,
                deadline=now + 3_600,
            )
            for ident in by_sig
        ]
        txs = [self.relayer.tx_request("ClaimToken", "attestBySig", a.as_tuple(), a.signature) for a in signed]
        for receipt in _ok(self.relayer.send_all(txs), "attestBySig"):
            self.s.gas.receipt("attest_by_sig", receipt)
        eligible = self.admin.call_many([("ClaimToken", "isEligible", (i.wallet,)) for i in identities])
        restricted_wallets = [i for i in identities if i.country in self.schedule.restricted_countries]
        for ident, (ok,) in zip(identities, eligible, strict=True):
            if bool(ok) == (ident.country in self.schedule.restricted_countries):
                raise DemoError(f"onboard: {ident.wallet} eligibility {ok} contradicts its country {ident.country}")
        self.s.counts.update(
            wallets=len(identities),
            creditors=len(self.schedule.identities),
            buyers=len(buyer_ids),
            entities=len({i.entity_id for i in identities}),
            attested_directly=len(direct),
            attested_by_signature=len(by_sig),
            restricted_wallets=len(restricted_wallets),
            restricted_countries=self.restricted,
        )
        self.echo(
            f"onboard    {len(identities)} wallets ({len(buyer_ids)} buyers) funded with ETH; "
            f"{len(direct)} attested by the verifier, {len(by_sig)} by offline signature (a relayer paid); "
            f"{len(restricted_wallets)} live in restricted jurisdictions {self.restricted}"
        )

    # ---------------------------------------------------------------- 3-4. schedule and validation

    def validate(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        csv_path = self.out / "claims.csv"
        json_path = self.out / "claims.json"
        csv_path.write_bytes(self.schedule.csv)
        json_path.write_bytes(self.schedule.json)
        options: dict[str, Any] = {
            "classes": self.schedule.classes,
            "restricted_countries": self.schedule.restricted_countries,
        }
        report = read_schedule(csv_path, **options)
        json_report = read_schedule(json_path, **options)
        planted_csv = sorted(p.csv_row for p in self.schedule.planted)
        if list(report.rejected_rows) != planted_csv:
            raise DemoError(f"validate: rejected rows {report.rejected_rows} are not the planted ones {planted_csv}")
        if [r.claim_ref for r in report.accepted] != [r.claim_ref for r in json_report.accepted]:
            raise DemoError("validate: the CSV and JSON files were not accepted alike")
        if tuple(r.claim_ref for r in report.accepted) != tuple(r.claim_ref for r in self.schedule.rows):
            raise DemoError("validate: the accepted rows are not the generated valid rows")
        (self.out / "validation.json").write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
        self.report: ValidationReport = report
        by_field: dict[str, int] = {}
        for err in report.rejected:
            by_field[err.field] = by_field.get(err.field, 0) + 1
        self.s.counts.update(
            schedule_rows=report.rows_total,
            accepted=report.accepted_count,
            rejected_rows=report.rejected_count,
            rejections=[{"row": e.row, "field": e.field, "reason": e.reason} for e in report.rejected],
            disputed_at_validation=report.disputed_count,
        )
        first = report.rejected[0]
        self.echo(
            f"validate   {report.rows_total:,} rows in claims.csv and claims.json: {report.accepted_count:,} accepted "
            f"({format_usd(report.total_allowed)} allowed, {report.disputed_count} disputed), "
            f"{report.rejected_count} rejected, e.g. {first}"
        )

    # ---------------------------------------------------------------- 5. mint

    def mint(self) -> None:
        rows = self.report.accepted
        for cls in self.schedule.classes.classes:
            self.s.gas.receipt("define_class", self.validator.define_class(cls.class_id, cls.estate_id))
        journal_path = self.out / "mint.journal"
        journal_path.unlink(missing_ok=True)
        ids = self._mint(journal_path)
        self.claim_ids: dict[bytes, int] = dict(zip([r.claim_ref for r in rows], ids, strict=True))
        self.rows_by_id: dict[int, ScheduleRow] = {self.claim_ids[r.claim_ref]: r for r in rows}
        claims = self.admin.claims_of(list(self.rows_by_id))
        for claim in claims:
            row = self.rows_by_id[claim.claim_id]
            if (claim.holder, claim.amount, claim.status, claim.class_id) != (
                row.creditor_wallet,
                row.allowed_amount,
                row.status,
                row.class_id,
            ):
                raise DemoError(f"mint: claim {claim.claim_id} on chain differs from row {row.row}")
        self.s.counts.update(minted=len(claims), disputed=sum(1 for c in claims if c.status == ClaimStatus.Disputed))
        self.echo(
            f"mint       {len(claims):,} claims in {self.mint_transactions} mintBatch transactions "
            f"(journal {journal_path.name}); "
            f"on-chain holders, amounts, classes and statuses match the report"
        )

    def _mint(self, journal_path: Path) -> list[int]:
        """Mint through :func:`pyclaims.minting.mint_schedule`: journaled, batched, exactly once per claim."""
        # anvil's automine mines what fits in one block when a transaction arrives and leaves the rest pending
        # until the next one arrives: keep each window of mintBatch transactions within one block's gas.
        window = max(1, _BLOCK_GAS_BUDGET // (self.config.mint_batch * _MINT_GAS_PER_CLAIM))
        result = mint_schedule(
            self.validator,
            self.report,
            journal_path=journal_path,
            batch_size=self.config.mint_batch,
            window=window,
            define_classes=False,
        )
        if not result.ok:
            first = result.failed[0]
            raise DemoError(f"mint: {len(result.failed)} rows not minted; first: row {first.row.row}: {first.error}")
        per_tx: dict[str, int] = {}
        for outcome in result.outcomes:
            if outcome.tx_hash is not None:
                per_tx[outcome.tx_hash] = per_tx.get(outcome.tx_hash, 0) + 1
        replies = call_many(self.w3, [("eth_getTransactionReceipt", [h]) for h in per_tx])
        for (_tx, items), reply in zip(per_tx.items(), replies, strict=True):
            self.s.gas.add("mint_batch", int(reply.unwrap()["gasUsed"], 16), items)
        ids = [o.claim_id for o in result.outcomes]
        if any(i is None for i in ids) or len(set(ids)) != len(ids):
            raise DemoError("mint: a claim is missing or minted twice")
        self.mint_transactions = result.transactions
        return [i for i in ids if i is not None]

    # ---------------------------------------------------------------- 6. trade

    def _seller_rate(self, wallet: str) -> int:
        """A creditor's own discount rate: 8%..60% a year (some need the money now), fixed per wallet."""
        return 80_000 + (int(wallet, 16) % 521) * 1_000

    def _buyer_rate(self, index: int) -> int:
        return 200_000 + 25_000 * (index % 4)  # funds price claims at 20%..27.5% a year

    def trade(self) -> None:
        today = self.today
        expiry = self.admin.block_timestamp() + _OFFER_DAYS * 86_400
        offers_dir = self.out / "offers"
        offers_dir.mkdir(exist_ok=True)
        for old in offers_dir.glob("*.json"):
            old.unlink()
        tradeable = [
            cid
            for cid, row in sorted(self.rows_by_id.items())
            if row.status == ClaimStatus.Allowed and row.country not in self.schedule.restricted_countries
        ]
        self.rng.shuffle(tradeable)
        conv = [c for c in tradeable if self.rows_by_id[c].claim_class.name == "convenience"]
        if not conv:
            raise DemoError("trade: no tradeable convenience claim (raise --claims)")
        self.record_claim = conv[0]  # kept for the trade between record date and payment
        pool = [c for c in tradeable if c != self.record_claim]
        target = max(8, min(80, len(pool) // 6))
        n_asks = target * 2 // 5
        n_bids = target // 4
        # Creditors who post asks are mostly the ones who need the money now (a high discount rate of their own).
        eager = [c for c in pool if self._seller_rate(self.rows_by_id[c].creditor_wallet) >= 250_000]
        asks_ids = (eager[::2] + [c for c in pool if c not in set(eager[::2])])[:n_asks]
        rest = [c for c in pool if c not in set(asks_ids)]
        bid_ids = rest[:n_bids]
        class_pool = rest[n_bids : target - n_asks]

        def row(cid: int) -> ScheduleRow:
            return self.rows_by_id[cid]

        def buyer_values(cid: int) -> list[int]:
            r = row(cid)
            return [
                _value(r.allowed_amount, r.claim_class.name, today, self._buyer_rate(i), _BUYER_DISPUTE_PPM).hold_value
                for i in range(len(self.buyers))
            ]

        def seller_value(cid: int) -> HoldingValue:
            r = row(cid)
            return _value(
                r.allowed_amount,
                r.claim_class.name,
                today,
                self._seller_rate(r.creditor_wallet),
                _SELLER_DISPUTE_PPM,
            )

        def client_of(wallet: str) -> Client:
            found = self.by_address.get(wallet)
            if found is None:
                found = self.client(self.accounts[wallet])
                self.by_address[wallet] = found
            return found

        # --- asks: the seller names a price a little above their value of holding; a buyer takes it if it is
        #     worth that to them.
        ask_trades: list[_Trade] = []
        for cid in asks_ids:
            r = row(cid)
            hold = seller_value(cid)
            price = hold.hold_value * (10_000 + self.rng.randrange(50, 500)) // 10_000
            values = buyer_values(cid)
            best = max(range(len(values)), key=lambda i: values[i])
            order = ask(
                maker=r.creditor_wallet, claim_id=cid, price=price, expiry=expiry, salt=self.rng.getrandbits(256)
            )
            signed = client_of(r.creditor_wallet).sign_order(order)
            (offers_dir / f"ask-claim{cid}.json").write_text(signed.to_json() + "\n", encoding="utf-8")
            ask_trades.append(
                _Trade(
                    "ask",
                    cid,
                    r.claim_class.name,
                    r.allowed_amount,
                    r.creditor_wallet,
                    self.buyers[best].address,
                    price,
                    hold.hold_value,
                    values[best],
                    price <= values[best],
                    signed,
                )
            )
        # --- escrowed specific bids: the buyer bids a little under its own value and escrows the price; the
        #     seller sees the value of holding next to it and accepts only when the bid is worth more.
        bid_trades: list[_Trade] = []
        for cid in bid_ids:
            r = row(cid)
            bi = self.rng.randrange(len(self.buyers))
            value = buyer_values(cid)[bi]
            price = value * (10_000 - self.rng.randrange(100, 300)) // 10_000
            hold = seller_value(cid)
            buyer = self.buyers[bi]
            order = bid_for_claim(
                maker=buyer.address, claim_id=cid, price=price, expiry=expiry, salt=self.rng.getrandbits(256)
            )
            signed = buyer.sign_order(order)
            (offers_dir / f"bid-claim{cid}.json").write_text(signed.to_json() + "\n", encoding="utf-8")
            trade = _Trade(
                "escrowed_bid",
                cid,
                r.claim_class.name,
                r.allowed_amount,
                r.creditor_wallet,
                buyer.address,
                price,
                hold.hold_value,
                value,
                price >= hold.hold_value,
                signed,
            )
            bid_trades.append(trade)
            if "seller_view" not in self.example:
                self.example["seller_view"] = hold.describe() + "\n" + compare_offer(hold, price).describe()
        # --- class bids: one per class, priced per dollar of allowed amount, partially filled by many sellers.
        class_trades: list[_Trade] = []
        class_orders: list[tuple[SignedOrder, int]] = []
        for ci, cls in enumerate(self.schedule.classes.classes):
            members = [c for c in class_pool if row(c).class_id == cls.class_id]
            if not members:
                continue
            bi = (ci + 1) % len(self.buyers)
            buyer = self.buyers[bi]
            typical = sorted(row(c).allowed_amount for c in members)[len(members) // 2]
            value_ppm = _value(typical, cls.name, today, self._buyer_rate(bi), _BUYER_DISPUTE_PPM).hold_value_ppm
            ppm = value_ppm * (10_000 - 150) // 10_000
            cap = sum(row(c).allowed_amount for c in members) * 3 // 4
            order = class_bid(
                maker=buyer.address,
                class_id=cls.class_id,
                price_per_million=ppm,
                max_amount=cap,
                expiry=expiry,
                salt=self.rng.getrandbits(256),
            )
            signed = buyer.sign_order(order)
            (offers_dir / f"classbid-{cls.name}.json").write_text(signed.to_json() + "\n", encoding="utf-8")
            class_orders.append((signed, cap))
            bought = 0
            for cid in members:
                r = row(cid)
                payment = payment_for(r.allowed_amount, ppm)
                hold = seller_value(cid)
                fits = bought + r.allowed_amount <= cap
                accepted = fits and payment >= hold.hold_value
                if accepted:
                    bought += r.allowed_amount
                class_trades.append(
                    _Trade(
                        "class_bid",
                        cid,
                        cls.name,
                        r.allowed_amount,
                        r.creditor_wallet,
                        buyer.address,
                        payment,
                        hold.hold_value,
                        payment,
                        accepted,
                        signed,
                        note="" if fits else "bid already full",
                    )
                )

        # --- money: each buyer gets exactly what its trades need, plus a cushion; approvals for the market.
        need: dict[str, int] = {b.address: 1_000 * _USD for b in self.buyers}
        for t in [*ask_trades, *bid_trades, *class_trades]:
            if t.accepted or t.kind == "escrowed_bid":
                need[t.buyer] += t.price
        record_price = self._record_date_price()
        need[self.buyers[0].address] += record_price
        txs = [self.admin.tx_request("Stablecoin", "mint", who, amount) for who, amount in need.items()]
        for receipt, (who, amount) in zip(_ok(self.admin.send_all(txs), "mint USDC"), need.items(), strict=True):
            self.s.gas.receipt("usdc_mint", receipt)
            self.s.ledger.mint(who, amount)
        for buyer in self.buyers:
            self.s.gas.receipt("approve", buyer.approve(self.deployment.market, need[buyer.address]))

        # --- escrow the bids (the buyer's money sits in the market until the seller fills or the buyer withdraws).
        for t in bid_trades:
            assert t.signed is not None
            buyer = self.by_address[t.buyer]
            receipt = self.s.gas.receipt("deposit", buyer.deposit(t.signed.order, t.price))
            self.deposits[t.signed.hash] = (t.buyer, t.price)
            self.s.ledger.debit(t.buyer, t.price)
            del receipt

        # --- fills. Asks: half one by one (pipelined per buyer), half in one fillBatch per buyer.
        taken = [t for t in ask_trades if t.accepted]
        singles = taken[: len(taken) // 2]
        batched = taken[len(taken) // 2 :]
        for buyer in self.buyers:
            mine = [t for t in singles if t.buyer == buyer.address]
            if not mine:
                continue
            # One transaction per fill, all in flight at once from the buyer's account.
            report = fill_many(buyer, [(t.signed, 0) for t in mine if t.signed is not None], approve=False)
            self._check_fills(report, "fillAsk")
            for t, outcome in zip(mine, report.outcomes, strict=True):
                t.settlement = outcome.record
                if outcome.record is not None:
                    self.s.gas.add("fill_ask", outcome.record.gas_used)
        for buyer in self.buyers:
            mine = [t for t in batched if t.buyer == buyer.address]
            if not mine:
                continue
            # All of this buyer's remaining asks in one all-or-nothing fillBatch transaction.
            report = fill_many(
                buyer,
                [(t.signed, 0) for t in mine if t.signed is not None],
                batch=True,
                batch_size=len(mine),
                approve=False,
            )
            self._check_fills(report, "fillBatch")
            self.s.gas.add("fill_batch" if len(mine) > 1 else "fill_ask", report.gas_used, len(mine))
            for t, outcome in zip(mine, report.outcomes, strict=True):
                t.kind = "batch" if len(mine) > 1 else "ask"
                t.settlement = outcome.record
        # Escrowed bids: the seller fills the accepted ones; the buyer withdraws from declined ones, except the
        # last two bids, still waiting for an answer when the demo ends (their money stays escrowed).
        n_waiting = 2 if len(bid_trades) >= 6 else min(1, len(bid_trades) - 1)
        waiting = {id(t) for t in bid_trades[len(bid_trades) - max(0, n_waiting) :]}
        for t in bid_trades:
            assert t.signed is not None
            if id(t) in waiting:
                t.accepted = False
                t.note = "still open: the seller has not answered"
                continue
            if t.accepted:
                seller = client_of(t.seller)
                t.settlement = seller.fill_bid(t.signed, t.claim_id)
                self.s.gas.add("fill_bid_escrowed", t.settlement.gas_used)
                if not t.settlement.escrowed:
                    raise DemoError(f"trade: the escrowed bid for claim {t.claim_id} was not paid from escrow")
            else:
                t.note = "declined: below the seller's value of holding"
                receipt = self.s.gas.receipt("withdraw", self.by_address[t.buyer].withdraw(t.signed.hash))
                (event,) = receipt.named("Withdrawn")
                amount = int(event.args["amount"])
                self.withdrawn[t.signed.hash] = amount
                self.s.ledger.credit(t.buyer, amount)
        # Class bids: each accepting seller fills the class bid with its own claim (paid from the buyer's wallet).
        for t in class_trades:
            if not t.accepted:
                t.note = t.note or "declined: below the seller's value of holding"
                continue
            assert t.signed is not None
            seller = client_of(t.seller)
            t.settlement = seller.fill_bid(t.signed, t.claim_id)
            self.s.gas.add("fill_class_bid", t.settlement.gas_used)
        for signed, cap in class_orders:
            state = self.admin.order_state(signed.hash)
            if state.filled_amount > cap:
                raise DemoError("trade: a class bid was filled past its maximum")

        self.trades = [*ask_trades, *bid_trades, *class_trades]
        for t in self.trades:
            done = t.settlement
            if done is None:
                continue
            if (done.price, done.seller, done.buyer, done.claim_id) != (t.price, t.seller, t.buyer, t.claim_id):
                raise DemoError(f"trade: the settlement of claim {t.claim_id} differs from the offer")
            self.s.ledger.credit(done.seller, done.price)
            if not done.escrowed:
                self.s.ledger.debit(done.buyer, done.price)
        owners = self.admin.call_many(
            [("ClaimToken", "ownerOf", (t.claim_id,)) for t in self.trades if t.settlement is not None]
        )
        for t, (owner,) in zip([t for t in self.trades if t.settlement], owners, strict=True):
            if Web3.to_checksum_address(owner) != t.buyer:
                raise DemoError(f"trade: claim {t.claim_id} is not with its buyer after the fill")
        filled = [t for t in self.trades if t.settlement is not None]
        offered_to_sellers = [t for t in self.trades if t.kind != "ask" and t.kind != "batch"]
        declined = [t for t in offered_to_sellers if not t.accepted and t.note.startswith("declined")]
        kinds: dict[str, int] = {}
        for t in filled:
            kinds[t.kind] = kinds.get(t.kind, 0) + 1
        self.s.counts.update(
            offers_signed=len(ask_trades) + len(bid_trades) + len(class_orders),
            asks=len(ask_trades),
            asks_unfilled=len(ask_trades) - len(taken),
            escrowed_bids=len(bid_trades),
            class_bids=len(class_orders),
            settlements=len(filled),
            settlements_by_kind=kinds,
            bids_declined_after_valuation=len(declined),
            bids_open=len(waiting),
        )
        volume = sum(t.price for t in filled)
        allowed = sum(t.allowed for t in filled)
        self.echo(
            f"trade      {len(filled)} settlements ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}): "
            f"{format_usd(volume)} for {format_usd(allowed)} allowed ({_pct(volume, allowed)}), zero fee; "
            f"{len(declined)} bids declined after the seller saw the value of holding; "
            f"{len(ask_trades) - len(taken)} asks found no buyer; {len(waiting)} escrowed bids still open"
        )
        if "seller_view" in self.example:
            self.s.echo("           what a seller saw before answering an escrowed bid (pyclaims value):")
            for line in self.example["seller_view"].splitlines():
                self.s.echo(f"             {line}")

    @staticmethod
    def _check_fills(report: FillsReport, what: str) -> None:
        if not report.ok:
            first = report.failed[0]
            raise DemoError(f"{what}: the fill of claim {first.signed.order.claim_id} failed: {first.error}")

    def _record_date_price(self) -> int:
        r = self.rows_by_id[self.record_claim]
        hold = _value(r.allowed_amount, "convenience", self.today, self._seller_rate(r.creditor_wallet), 0)
        self.record_price = max(1, hold.hold_value)
        return self.record_price

    # ---------------------------------------------------------------- 7. distributions

    def _fund_and_declare(self, class_id: int, rate: int) -> int:
        """The trust plans the round from chain state, is funded, approves the distributor and declares."""
        plan = plan_round(self.trust, class_id, rate)
        self.s.gas.receipt("usdc_mint", self.admin.mint_stablecoin(self.trust.address, plan.funding))
        self.s.ledger.mint(self.trust.address, plan.funding)
        approval = ensure_allowance(self.trust, plan.funding, spender=self.deployment.distributor)
        if approval is not None:
            self.s.gas.receipt("approve", approval)
        declared = declare(self.trust, plan, approve=False)
        self.s.gas.receipt("declare_round", declared.receipt)
        self.s.ledger.debit(self.trust.address, declared.round.funded)
        if declared.round.funded != plan.funding:
            raise DemoError(f"round {declared.round_id}: funded {declared.round.funded}, planned {plan.funding}")
        self.plans[declared.round_id] = plan
        return declared.round_id

    def _pay(self, round_id: int) -> PayoutReport:
        """Pay the round through :func:`pyclaims.distributions.pay_round`: journaled, pipelined, exactly once."""
        journal = self.out / f"payouts-round{round_id}.journal"
        window = max(1, _BLOCK_GAS_BUDGET // (self.config.payout_batch * _PAYOUT_GAS_PER_CLAIM))
        report = pay_round(
            self.trust, round_id, journal_path=journal, batch_size=self.config.payout_batch, window=window
        )
        if not report.ok:
            raise DemoError(f"round {round_id}: not fully paid: unpaid {report.unpaid}, errors {report.errors}")
        per_tx: dict[str, list[PayoutRecord]] = {}
        for rec in report.paid:
            per_tx.setdefault(rec.tx_hash, []).append(rec)
        for records in per_tx.values():
            self.s.gas.add("payout_batch", records[0].gas_used, len(records))
        self.withheld.extend((round_id, cid) for cid in report.withheld)
        self._book(report.paid)
        return report

    def _book(self, records: Sequence[PayoutRecord]) -> None:
        for rec in records:
            if rec.kind != PayoutKind.SKIPPED and rec.recipient is not None:
                self.s.ledger.credit(rec.recipient, rec.amount)
        self.payouts.extend(records)

    def distribute(self) -> None:
        cfg = self.config
        scheme = self.schedule.classes
        conv = scheme.by_name(1, "convenience")
        gen = scheme.by_name(1, "general")
        assert conv is not None and gen is not None
        for stale in self.out.glob("payouts-round*.journal"):  # journals of an earlier run's (other) chain
            stale.unlink()
        # Round 1: the convenience class.
        r1 = self._fund_and_declare(conv.class_id, cfg.convenience_rate_ppm)
        # A convenience claim trades after the round was declared and before it is paid: the seller, holder of
        # record, is paid for round 1; the buyer only for later rounds.
        cid = self.record_claim
        row = self.rows_by_id[cid]
        seller = self.client(self.accounts[row.creditor_wallet])
        buyer = self.buyers[0]
        expiry = self.admin.block_timestamp() + _OFFER_DAYS * 86_400
        signed = seller.sign_order(
            ask(
                maker=seller.address,
                claim_id=cid,
                price=self.record_price,
                expiry=expiry,
                salt=self.rng.getrandbits(256),
            )
        )
        rec = buyer.fill_ask(signed)
        self.s.gas.add("fill_ask", rec.gas_used)
        self.s.ledger.credit(rec.seller, rec.price)
        self.s.ledger.debit(rec.buyer, rec.price)
        self.trades.append(
            _Trade(
                "ask",
                cid,
                "convenience",
                row.allowed_amount,
                seller.address,
                buyer.address,
                rec.price,
                self.record_price,
                self.record_price,
                True,
                signed,
                rec,
                note="after the record date of round 1",
            )
        )
        report1 = self._pay(r1)
        paid_to = next((p.recipient for p in report1.paid if p.claim_id == cid), None)
        if paid_to != seller.address:
            raise DemoError(f"record date: claim {cid}'s round-{r1} payout went to {paid_to}, not the seller")
        self.record_date_trade = {
            "claim_id": cid,
            "round_id": r1,
            "seller": seller.address,
            "buyer": buyer.address,
            "round_paid_to": paid_to,
            "holder_now": self.admin.owner_of(cid),
        }
        # Round 2: the general class.
        r2 = self._fund_and_declare(gen.class_id, cfg.general_rate_ppm)
        report2 = self._pay(r2)
        self.round_ids = [(r1, conv.name), (r2, gen.name)]
        paid = [*report1.paid, *report2.paid]
        skipped = self.withheld
        self.s.counts.update(rounds=2, payouts=len(paid), withheld_at_payout=len(skipped))
        self.echo(
            f"distribute round {r1} ({conv.name}, {cfg.convenience_rate_ppm / 10_000:g}%) and round {r2} "
            f"({gen.name}, {cfg.general_rate_ppm / 10_000:g}%): {len(paid):,} payouts, "
            f"{format_usd(sum(p.amount for p in paid))} paid, {len(skipped)} disputed claims withheld; "
            f"claim {cid} sold after round {r1}'s record date: round {r1} paid its seller"
        )

    # ---------------------------------------------------------------- 8. resolutions

    def resolve(self) -> None:
        rounds = dict(self.round_ids)
        withheld = list(self.withheld)
        by_claim = {cid: rid for rid, cid in withheld}
        restricted_claims: dict[int, list[int]] = {}
        objections: list[int] = []
        for cid in sorted(by_claim):
            row = self.rows_by_id[cid]
            if row.country in self.schedule.restricted_countries:
                restricted_claims.setdefault(row.country, []).append(cid)
            else:
                objections.append(cid)
        lifted: int | None = None
        release: list[int] = []
        if restricted_claims:
            # A legal opinion clears the jurisdiction with the most withheld claims.
            lifted = max(sorted(restricted_claims), key=lambda c: len(restricted_claims[c]))
            self.s.gas.receipt("set_restricted", self.compliance.set_restricted([lifted], False))
            release.extend(restricted_claims[lifted])
        expunge: int | None = None
        if objections:
            expunge = objections[0]
            release.extend(objections[1 : 1 + max(1, (len(objections) - 1) // 2)])
        elif len(release) > 1:
            expunge = release.pop()
        # The validator records the outcomes; the resolver settles the withheld payouts.
        txs = [self.validator.tx_request("ClaimToken", "setStatus", cid, int(ClaimStatus.Allowed)) for cid in release]
        if expunge is not None:
            txs.append(self.validator.tx_request("ClaimToken", "setStatus", expunge, int(ClaimStatus.Expunged)))
        for receipt in _ok(self.validator.send_all(txs), "setStatus"):
            self.s.gas.receipt("set_status", receipt)
        targets = [(by_claim[cid], cid) for cid in release]
        hint_of: dict[tuple[int, int], int] = {}
        for rid in sorted({r for r, _ in targets}):
            ids = [cid for r, cid in targets if r == rid]
            hint_of.update(((rid, cid), h) for cid, h in zip(ids, self.resolver.record_hints(rid, ids), strict=True))
        hints = [hint_of[t] for t in targets]
        txs = [
            self.resolver.tx_request("ClaimDistributor", "release", rid, cid, h)
            for (rid, cid), h in zip(targets, hints, strict=True)
        ]
        if expunge is not None:
            rid = by_claim[expunge]
            txs.append(
                self.resolver.tx_request(
                    "ClaimDistributor", "returnWithheld", rid, expunge, self.resolver.record_hint(expunge, rid)
                )
            )
        records: list[PayoutRecord] = []
        for receipt in _ok(self.resolver.send_all(txs), "release/returnWithheld"):
            batch = Client.payouts(receipt)
            op = "return_withheld" if any(p.kind == PayoutKind.RETURNED for p in batch) else "release"
            self.s.gas.receipt(op, receipt)
            records.extend(batch)
        self._book(records)
        released = [p for p in records if p.kind == PayoutKind.RELEASED]
        returned = [p for p in records if p.kind == PayoutKind.RETURNED]
        if len(released) != len(release) or len(returned) != (1 if expunge is not None else 0):
            raise DemoError("resolve: not every resolution settled its withheld payout")
        still = len(withheld) - len(released) - len(returned)
        self.resolutions = {
            "jurisdiction_lifted": lifted,
            "released": [{"round_id": p.round_id, "claim_id": p.claim_id, "amount": str(p.amount)} for p in released],
            "returned": [{"round_id": p.round_id, "claim_id": p.claim_id, "amount": str(p.amount)} for p in returned],
            "still_withheld": still,
        }
        self.s.counts.update(released=len(released), returned=len(returned), still_withheld=still)
        country = f"country {lifted:03d} cleared by a legal opinion, " if lifted is not None else ""
        gone = (
            f"claim {expunge} expunged and its {format_usd(sum(p.amount for p in returned))} returned to the trust"
            if expunge is not None
            else "nothing expunged"
        )
        self.echo(
            f"resolve    {country}{len(released)} withheld payouts released "
            f"({format_usd(sum(p.amount for p in released))}), {gone}; {still} still withheld"
        )
        del rounds

    # ---------------------------------------------------------------- 9. reconciliation

    def reconcile(self) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        d = self.deployment
        wallets = sorted(
            {*self.s.ledger.expected, *self.accounts, self.trust.address, self.admin.address, self.relayer.address}
        )
        balances = dict(zip(wallets, self.admin.stablecoin_balances(wallets), strict=True))
        distributor_balance, market_balance = self.admin.stablecoin_balances([d.distributor, d.market])
        (supply,) = self.admin.call("Stablecoin", "totalSupply")
        escrowed = int(self.admin.total_deposits())
        checks: list[dict[str, Any]] = []

        def check(name: str, text: str, lhs: int, rhs: int, **terms: int) -> None:
            checks.append(
                {
                    "name": name,
                    "equation": text,
                    "lhs": str(lhs),
                    "rhs": str(rhs),
                    "holds": lhs == rhs,
                    "terms": {k: str(v) for k, v in terms.items()},
                }
            )

        money_in = self.s.ledger.minted
        out = sum(balances.values())
        check(
            "money",
            "money in (stablecoin minted) = held by wallets + withheld by the distributor + escrowed by the market",
            money_in,
            out + int(distributor_balance) + int(market_balance),
            minted=money_in,
            wallets=out,
            distributor=int(distributor_balance),
            market=int(market_balance),
        )
        check("supply", "stablecoin total supply = minted by the demo", int(supply), money_in)
        mismatched = [w for w in wallets if balances[w] != self.s.ledger.expected.get(w, 0)]
        check(
            "wallet_ledgers",
            "wallets whose on-chain balance differs from their ledger of SDK records",
            len(mismatched),
            0,
            wallets=len(wallets),
        )
        # Escrow: every deposit is with a seller (filled), back with its buyer (withdrawn), or still escrowed.
        deposited = sum(a for _, a in self.deposits.values())
        spent = sum(t.price for t in self.trades if t.settlement is not None and t.settlement.escrowed)
        withdrawn = sum(self.withdrawn.values())
        check(
            "escrow",
            "deposited = paid to sellers from escrow + withdrawn by buyers + still escrowed",
            deposited,
            spent + withdrawn + escrowed,
            deposited=deposited,
            paid_from_escrow=spent,
            withdrawn=withdrawn,
            escrowed=escrowed,
        )
        check("escrow_balance", "market balance = open deposits (totalDeposits)", int(market_balance), escrowed)
        # Settlement: zero fee, every buyer's payment reached its seller.
        filled = [t.settlement for t in self.trades if t.settlement is not None]
        check(
            "zero_fee",
            "paid by buyers = received by sellers (from the fill events)",
            sum(r.price for r in filled),
            sum(t.price for t in self.trades if t.settlement is not None),
        )
        # Distributions, per round and together.
        round_rows: list[dict[str, Any]] = []
        chain_rounds = self.admin.rounds([rid for rid, _ in self.round_ids])
        total_outstanding = 0
        for (rid, name), rnd in zip(self.round_ids, chain_rounds, strict=True):
            ids = sorted(cid for cid, row in self.rows_by_id.items() if row.class_id == rnd.class_id)
            hints = self.admin.record_hints(rid, ids)
            records = self.admin.call_many(
                [("ClaimToken", "recordAt", (cid, rid, h)) for cid, h in zip(ids, hints, strict=True)]
            )
            settled = self.admin.settled(rid, ids)
            owed_total = 0
            withheld = 0
            owed_unpaid = 0
            for (holder, amount, record_status, current_status, _cls), done in zip(records, settled, strict=True):
                del holder
                share = int(amount) * rnd.rate_delta // RATE_SCALE
                owed_total += share
                if done:
                    continue
                if ClaimStatus.Disputed in (ClaimStatus(int(record_status)), ClaimStatus(int(current_status))):
                    withheld += share
                else:
                    owed_unpaid += share
            mine = [p for p in self.payouts if p.round_id == rid]
            paid = sum(p.amount for p in mine if p.kind == PayoutKind.PAID)
            released = sum(p.amount for p in mine if p.kind == PayoutKind.RELEASED)
            returned = sum(p.amount for p in mine if p.kind == PayoutKind.RETURNED)
            dust = rnd.funded - owed_total
            check(
                f"round_{rid}",
                f"round {rid} funded = paid + released + returned + withheld + owed + dust",
                rnd.funded,
                paid + released + returned + withheld + owed_unpaid + dust,
                funded=rnd.funded,
                paid=paid,
                released=released,
                returned=returned,
                withheld=withheld,
                owed=owed_unpaid,
                dust=dust,
            )
            check(f"round_{rid}_returned", f"round {rid} returned on chain = returned events", rnd.returned, returned)
            checks.append(
                {
                    "name": f"round_{rid}_dust",
                    "equation": f"0 <= round {rid} dust <= claims in the class (the rounding rule)",
                    "lhs": str(dust),
                    "rhs": str(len(ids)),
                    "holds": 0 <= dust <= len(ids),
                    "terms": {},
                }
            )
            total_outstanding += rnd.funded - paid - released - returned
            round_rows.append(
                {
                    "round_id": rid,
                    "class": name,
                    "class_id": rnd.class_id,
                    "cumulative_rate_ppm": rnd.cumulative_rate,
                    "rate_delta_ppm": rnd.rate_delta,
                    "claims": len(ids),
                    "total_allowed": str(rnd.total_allowed),
                    "disputed_allowed": str(rnd.disputed_allowed),
                    "funded": str(rnd.funded),
                    "paid": str(paid),
                    "released": str(released),
                    "returned": str(returned),
                    "withheld": str(withheld),
                    "owed": str(owed_unpaid),
                    "dust": str(dust),
                    "payouts": sum(1 for p in mine if p.kind == PayoutKind.PAID),
                    "withheld_claims": sum(1 for p in mine if p.kind == PayoutKind.SKIPPED and p.skip_reason == 1),
                }
            )
        check(
            "distributor_balance",
            "distributor balance = funded - paid - released - returned, over all rounds",
            int(distributor_balance),
            total_outstanding,
        )
        books = reconcile_rounds(self.admin)
        checks.append(
            {
                "name": "sdk_reconcile",
                "equation": "pyclaims.distributions.reconcile: every round balances and the distributor holds "
                "exactly what the rounds account for",
                "lhs": str(books.distributor_balance),
                "rhs": str(books.held_for_rounds),
                "holds": books.balanced,
                "terms": {f"round_{b.round.round_id}_dust": str(b.dust) for b in books.rounds},
            }
        )
        withheld_total = sum(int(r["withheld"]) for r in round_rows)
        dust_total = sum(int(r["dust"]) for r in round_rows)
        owed_total = sum(int(r["owed"]) for r in round_rows)
        money = {
            "in": str(money_in),
            "out": str(out),
            "withheld": str(int(distributor_balance)),
            "withheld_disputed": str(withheld_total),
            "withheld_dust": str(dust_total),
            "withheld_owed": str(owed_total),
            "escrowed": str(int(market_balance)),
            "traded_volume": str(sum(r.price for r in filled)),
            "traded_allowed": str(sum(r.allowed_amount for r in filled)),
            "distributed": str(sum(int(r["paid"]) + int(r["released"]) for r in round_rows)),
            "returned_to_trust": str(sum(int(r["returned"]) for r in round_rows)),
            "fees": "0",
        }
        return money, checks, round_rows


# ------------------------------------------------------------------------------------------------ entry points


@contextmanager
def _phase(state: _State, name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        state.phases.append(_Phase(name, time.perf_counter() - start))


def run_demo(config: DemoConfig, *, echo: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the whole lifecycle on a fresh local anvil (started here, always stopped); return the report.

    Writes ``report.json`` (and ``chart.png`` when ``config.chart``) into ``config.out_dir``.

    Raises:
        DemoError: a step did not do what it must (the message names it).
        PyclaimsError / NodeError: the SDK or the node failed.
    """
    say: Callable[[str], None] = echo if echo is not None else (lambda _text: None)
    state = _State(config, say, time.perf_counter())
    config.out_dir.mkdir(parents=True, exist_ok=True)
    with LocalNode(anvil=config.anvil) as node:
        version = node.version()
        say(
            f"pyclaims demo: anvil {version} on {node.url} (chain {node.chain_id}, pid {node.pid}), "
            f"writing to {config.out_dir}/"
        )
        demo = _Demo(config, node.url, state)
        with _phase(state, "deploy"):
            demo.deploy()
        with _phase(state, "onboard"):
            demo.onboard()
        with _phase(state, "validate"):
            demo.validate()
        with _phase(state, "mint"):
            demo.mint()
        with _phase(state, "trade"):
            demo.trade()
        with _phase(state, "distribute"):
            demo.distribute()
        with _phase(state, "resolve"):
            demo.resolve()
        with _phase(state, "reconcile"):
            money, checks, rounds = demo.reconcile()
        block = demo.w3.eth.block_number
        chain = {
            "chain_id": node.chain_id,
            "anvil": version,
            "blocks": int(block),
            "transactions": state.gas.transactions,
            "addresses": demo.deployment.addresses,
        }
    total = time.perf_counter() - state.started
    trades = []
    for t in demo.trades:
        comparison: dict[str, Any] = {}
        if t.hold_value > 0:
            hold = _value(
                t.allowed,
                t.class_name,
                demo.today,
                demo._seller_rate(t.seller),
                0 if t.note.startswith("after the record date") else _SELLER_DISPUTE_PPM,
            )
            cmp = compare_offer(hold, t.price)
            comparison = {
                "premium_bps": cmp.premium_bps,
                "price_ppm_of_allowed": cmp.price_ppm_of_allowed,
                "buyer_implied_annual_return_bps": cmp.implied_annual_return_bps,
            }
        entry = t.as_dict(comparison)
        entry["outcome"] = "settled" if t.settlement is not None else (t.note or "not filled")
        trades.append(entry)
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "config": {
            "claims": config.claims,
            "creditors": config.creditors,
            "buyers": config.buyers,
            "seed": config.seed,
            "mint_batch": config.mint_batch,
            "payout_batch": config.payout_batch,
            "convenience_rate_ppm": config.convenience_rate_ppm,
            "general_rate_ppm": config.general_rate_ppm,
        },
        "chain": chain,
        "counts": state.counts,
        "money": money,
        "reconciliation": checks,
        "reconciled": all(c["holds"] for c in checks),
        "validation": {
            "schedule_sha256": demo.report.digest,
            "convenience_threshold": str(demo.report.classes.convenience_threshold),
            "restricted_countries": sorted(demo.report.restricted_countries),
            "rows": demo.report.rows_total,
            "accepted": demo.report.accepted_count,
            "rejected": [{"row": e.row, "field": e.field, "reason": e.reason} for e in demo.report.rejected],
        },
        "rounds": rounds,
        "record_date_trade": demo.record_date_trade,
        "resolutions": demo.resolutions,
        "seller_view_example": demo.example.get("seller_view", ""),
        "trades": [t for t in trades if t["outcome"] == "settled"],
        "offers_not_settled": [t for t in trades if t["outcome"] != "settled"],
        "gas": state.gas.as_dict(),
        "timing": {"total_s": round(total, 3), **{p.name + "_s": round(p.seconds, 3) for p in state.phases}},
        "files": {
            "schedule_csv": "claims.csv",
            "schedule_json": "claims.json",
            "validation": "validation.json",
            "deployment": "deployment.json",
            "mint_journal": "mint.journal",
            "payout_journals": sorted(p.name for p in config.out_dir.glob("payouts-round*.journal")),
            "offers": "offers/",
            "chart": "chart.png" if config.chart else None,
        },
    }
    (config.out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if config.chart:
        from pyclaims._demo_chart import render_chart

        render_chart(report, config.out_dir / "chart.png")
    return report


def _summary(report: Mapping[str, Any]) -> str:
    money = report["money"]
    lines = [
        "",
        "Reconciliation (base units, exact):",
        f"  money in {format_usd(int(money['in']))} = held by wallets {format_usd(int(money['out']))} "
        f"+ withheld {format_usd(int(money['withheld']))} + escrowed {format_usd(int(money['escrowed']))}",
    ]
    for c in report["reconciliation"]:
        mark = "ok  " if c["holds"] else "FAIL"
        lines.append(f"  {mark} {c['name']:<20} {c['equation']}  ({c['lhs']} vs {c['rhs']})")
    lines.append("Gas per operation (receipt gasUsed, median per transaction; per item for batches):")
    for op, g in report["gas"].items():
        per_item = f", {g['per_item_mean']:,} per item over {g['items']:,}" if "items" in g else ""
        lines.append(f"  {op:<20} {g['transactions']:>4} tx, median {g['median']:>9,}{per_item}")
    timing = report["timing"]
    phases = ", ".join(f"{k[:-2]} {v:.1f}s" for k, v in timing.items() if k != "total_s")
    lines.append(f"Wall time {timing['total_s']:.1f} s ({phases})")
    return "\n".join(lines)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".demo"),
    show_default=True,
    help="Where report.json, chart.png and the files go.",
)
@click.option(
    "--claims",
    type=click.IntRange(10, 20_000),
    default=1_000,
    show_default=True,
    help="Valid claims in the generated schedule.",
)
@click.option("--creditors", type=click.IntRange(4, 500), default=48, show_default=True, help="Creditor wallets.")
@click.option("--buyers", type=click.IntRange(1, 20), default=4, show_default=True, help="Buyer wallets.")
@click.option("--seed", type=int, default=2025, show_default=True, help="Same seed, same story.")
@click.option("--no-chart", is_flag=True, help="Skip the PNG chart.")
@click.option(
    "--anvil",
    "anvil",
    type=click.Path(dir_okay=False),
    default=None,
    help="The anvil binary (default: node_modules/.bin/anvil).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report instead of the text summary.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the final summary.")
def main(
    out_dir: Path,
    claims: int,
    creditors: int,
    buyers: int,
    seed: int,
    no_chart: bool,
    anvil: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Run the whole pyclaims lifecycle on a local anvil this starts and stops itself, and report on it."""
    config = DemoConfig(
        claims=claims,
        creditors=creditors,
        buyers=buyers,
        seed=seed,
        out_dir=out_dir,
        chart=not no_chart,
        anvil=anvil,
    )

    def say(text: str) -> None:
        if not quiet and not as_json:
            click.echo(text)

    try:
        report = run_demo(config, echo=say)
    except (PyclaimsError, RuntimeError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(_summary(report))
        files = ", ".join(
            str(config.out_dir / f) for f in ("report.json", "chart.png") if (config.out_dir / f).exists()
        )
        click.echo(f"Wrote {files}")
        verdict = "every dollar reconciled to the base unit" if report["reconciled"] else "RECONCILIATION FAILED"
        click.echo(f"pyclaims demo: {verdict}")
    sys.exit(0 if report["reconciled"] else 1)


if __name__ == "__main__":
    main()
