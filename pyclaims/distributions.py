"""Distribution rounds: plan, declare, pay in batches exactly once, resolve disputes, reconcile to the base unit.

The rules (``docs/DESIGN.md``, enforced by ``ClaimDistributor``):

- a round for class ``c`` at cumulative rate ``R`` (ppm of allowed amount) pays the increment
  ``delta = R - previous R of c``; it is funded ``ceil(totalAllowed * delta / 1e6)`` where ``totalAllowed`` is
  the class's non-expunged allowed amount at declaration (disputed claims are funded and withheld);
- each (round, claim) is owed ``floor(amount * delta / 1e6)`` of the claim's amount *of record* for the round,
  to its holder of record; so the sum owed never exceeds the funding, and the round's **dust** (funding minus
  the sum owed) is at most the number of its claims, in base units. Dust stays in the distributor, never swept.
- a (round, claim) whose record or current status is Disputed is **withheld** until the resolver releases it
  (claim Allowed again: paid to the holder of record) or returns it (claim Expunged: back to the funder).

This module:

- :func:`plan_round` computes a round from chain state before it is declared (funding, amount per claim,
  disputed reserve, dust and its bound); :func:`declare` declares it.
- :func:`pay_round` pays every payable claim of a round in ``payoutBatch`` transactions, pipelined, exactly
  once through crashes and lost replies: deterministic op ids over fixed chunk boundaries
  (``payout:<round>:<claim>`` for a single claim, ``payout:<round>:<first>-<last>:<hash of the ids>`` for a
  batch), a journal, and the on-chain predicate ``isSettled`` (the distributor itself refuses a
  second payout of a (round, claim)); hints from ``recordCount``/``recordOf``.
- :func:`resolve` settles a dispute: sets the claim's status, then releases (or returns) its withheld payouts
  in every round.
- :func:`reconcile` proves conservation per round, each term computed independently:
  ``funded == paid + returned + owed + withheld + dust``, with ``paid`` and ``returned`` from events,
  ``owed`` and ``withheld`` from ``recordAt``/``isSettled``, ``funded`` and ``returned`` also from ``roundOf``,
  the dust bound ``0 <= dust <= claims``, and, over all rounds, the distributor's stablecoin balance equal to
  what it still holds for them (owed + withheld + dust).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

from eth_utils.crypto import keccak

from pyclaims._ops import current_op, fit_window
from pyclaims.client import Client
from pyclaims.errors import ContractError, PyclaimsError, ReconciliationError
from pyclaims.models import PAYOUT_SKIP_REASONS, DeclaredRound, PayoutKind, PayoutRecord, Round
from pyclaims.tx import Journal, Op, OpStatus
from pyclaims.types import RATE_SCALE, BaseUnits, ClaimStatus

__all__ = [
    "DEFAULT_PAYOUT_BATCH",
    "ClaimShare",
    "PayoutReport",
    "ReconciliationReport",
    "RoundBalance",
    "RoundPlan",
    "declare",
    "pay_round",
    "plan_round",
    "reconcile",
    "resolve",
    "round_claims",
]

DEFAULT_PAYOUT_BATCH = 100
"""Claims per ``payoutBatch`` transaction."""


def _share(amount: int, rate_delta: int) -> int:
    return amount * rate_delta // RATE_SCALE


# ------------------------------------------------------------------------------------------------ planning


@dataclass(frozen=True)
class ClaimShare:
    """One claim's part of a planned round."""

    claim_id: int
    holder: str
    amount: BaseUnits
    status: ClaimStatus
    share: BaseUnits

    @property
    def withheld(self) -> bool:
        """Disputed: its share will be withheld until the dispute is resolved."""
        return self.status is ClaimStatus.Disputed


@dataclass(frozen=True)
class RoundPlan:
    """A round computed from chain state before it is declared.

    Attributes:
        class_id: the class.
        previous_rate, cumulative_rate, rate_delta: ppm; the round pays ``rate_delta``.
        total_allowed, disputed_allowed: the class totals (non-expunged; the disputed part).
        funding: ``ceil(total_allowed * rate_delta / 1e6)``: what the declaration pulls from the funder.
        payable: the sum of the Allowed claims' shares (paid by :func:`pay_round`).
        disputed_reserve: the sum of the Disputed claims' shares (withheld until resolved).
        dust: ``funding - payable - disputed_reserve``; always ``0 <= dust <= claim_count`` (the ceiling of a
            sum of fractions each below one).
        claims: every non-expunged claim of the class, with its share.
    """

    class_id: int
    previous_rate: int
    cumulative_rate: int
    rate_delta: int
    total_allowed: BaseUnits
    disputed_allowed: BaseUnits
    funding: BaseUnits
    payable: BaseUnits
    disputed_reserve: BaseUnits
    dust: BaseUnits
    claims: tuple[ClaimShare, ...] = field(repr=False)

    @property
    def claim_count(self) -> int:
        """How many claims share the round."""
        return len(self.claims)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (amounts as decimal strings of base units)."""
        return {
            "class_id": self.class_id,
            "previous_rate_ppm": self.previous_rate,
            "cumulative_rate_ppm": self.cumulative_rate,
            "rate_delta_ppm": self.rate_delta,
            "claims": self.claim_count,
            "total_allowed_base_units": str(self.total_allowed),
            "disputed_allowed_base_units": str(self.disputed_allowed),
            "funding_base_units": str(self.funding),
            "payable_base_units": str(self.payable),
            "disputed_reserve_base_units": str(self.disputed_reserve),
            "dust_base_units": str(self.dust),
        }


def plan_round(client: Client, class_id: int, cumulative_rate_ppm: int) -> RoundPlan:
    """Compute the round ``declare(class_id, cumulative_rate_ppm)`` would declare now.

    The class's claims are enumerated from ``ClaimMinted`` events and read with ``claimOf``; their non-expunged
    sum must equal the token's ``classOf`` total (it is checked).

    Raises:
        ValueError: the rate does not exceed the class's current cumulative rate, or the class is unknown.
        ReconciliationError: the claims read do not add up to the token's class totals.
    """
    totals = client.class_of(class_id)
    if not totals.defined:
        raise ValueError(f"class_id: class {class_id} is not defined")
    previous = client.cumulative_rate_of(class_id)
    delta = cumulative_rate_ppm - previous
    if delta <= 0:
        raise ValueError(
            f"cumulative_rate_ppm: must exceed the class rate so far ({previous}), got {cumulative_rate_ppm}"
        )
    if cumulative_rate_ppm >= 2**64:
        raise ValueError("cumulative_rate_ppm: must fit uint64")
    ids = client.claims_in_class(class_id)
    claims = [c for c in client.claims_of(ids) if c.status is not ClaimStatus.Expunged]
    shares = tuple(
        ClaimShare(c.claim_id, c.holder, c.amount, c.status, BaseUnits(_share(c.amount, delta))) for c in claims
    )
    total = sum(c.amount for c in claims)
    disputed = sum(c.amount for c in claims if c.status is ClaimStatus.Disputed)
    if total != totals.total_allowed or disputed != totals.disputed_allowed:
        raise ReconciliationError(
            0,
            f"class {class_id}: its claims add up to {total} allowed ({disputed} disputed), the token says "
            f"{totals.total_allowed} ({totals.disputed_allowed})",
        )
    funding = -(-total * delta // RATE_SCALE)
    payable = sum(s.share for s in shares if not s.withheld)
    reserve = sum(s.share for s in shares if s.withheld)
    dust = funding - payable - reserve
    assert 0 <= dust <= len(shares), "the rounding rule bounds the dust by the claim count"
    return RoundPlan(
        class_id=class_id,
        previous_rate=previous,
        cumulative_rate=cumulative_rate_ppm,
        rate_delta=delta,
        total_allowed=BaseUnits(total),
        disputed_allowed=BaseUnits(disputed),
        funding=BaseUnits(funding),
        payable=BaseUnits(payable),
        disputed_reserve=BaseUnits(reserve),
        dust=BaseUnits(dust),
        claims=shares,
    )


def declare(client: Client, plan: RoundPlan, *, approve: bool = True) -> DeclaredRound:
    """Declare a planned round (distributor role); the distributor pulls ``plan.funding`` from the client's
    account (approved first when short, with ``approve``).

    Raises:
        ReconciliationError: the declared round's funding differs from the plan's (the class changed since).
    """
    declared = client.declare_round(plan.class_id, plan.cumulative_rate, approve=approve)
    if declared.round.funded != plan.funding:
        raise ReconciliationError(
            declared.round_id,
            f"declared with funding {declared.round.funded}, planned {plan.funding} (the class changed in between)",
        )
    return declared


# ------------------------------------------------------------------------------------------------ claims of a round


def round_claims(client: Client, round_id: int) -> list[int]:
    """The claims of a round's class that existed when it was declared (minted at or before its block)."""
    rnd = client.round_of(round_id)
    declared = client.events("ClaimDistributor", "RoundDeclared", where={"roundId": round_id})
    if not declared:
        raise PyclaimsError(f"round {round_id}: no RoundDeclared event found from block {client.deployment.block}")
    return client.claims_in_class(rnd.class_id, to_block=declared[0].block_number)


@dataclass(frozen=True)
class _Entry:
    claim_id: int
    hint: int
    holder: str
    amount: int
    record_status: ClaimStatus
    current_status: ClaimStatus
    settled: bool

    @property
    def entitled(self) -> bool:
        return self.record_status is not ClaimStatus.Expunged

    @property
    def withheld(self) -> bool:
        return ClaimStatus.Disputed in (self.record_status, self.current_status)


def _entries(client: Client, round_id: int, claim_ids: Sequence[int]) -> list[_Entry]:
    """Each claim's record for the round (claims not of record are left out), its hint and settlement."""
    hints = client.record_hints(round_id, claim_ids)
    records = client.try_call_many(
        [("ClaimToken", "recordAt", (c, round_id, h)) for c, h in zip(claim_ids, hints, strict=True)]
    )
    settled = client.settled(round_id, claim_ids)
    out: list[_Entry] = []
    for claim_id, hint, record, done in zip(claim_ids, hints, records, settled, strict=True):
        if isinstance(record, ContractError):
            continue  # ClaimTokenNotOfRecord: minted after the round (in its block)
        holder, amount, record_status, current_status, _class = record
        out.append(
            _Entry(claim_id, hint, holder, int(amount), ClaimStatus(record_status), ClaimStatus(current_status), done)
        )
    return out


# ------------------------------------------------------------------------------------------------ paying


@dataclass(frozen=True)
class PayoutReport:
    """What :func:`pay_round` did.

    Attributes:
        round_id: the round.
        paid: the payouts made by this call's transactions, from their events (payouts of an interrupted
            earlier call that this call found mined are settled, not listed).
        withheld: claims passed over because disputed (at the round or now).
        unpaid: claims still payable but not paid (e.g. the stablecoin refused the transfer: reason 5), with
            the reason.
        errors: operations that failed, with their errors.
        transactions: payout transactions mined by this call.
        gas_used: their total gas.
    """

    round_id: int
    paid: tuple[PayoutRecord, ...]
    withheld: tuple[int, ...]
    unpaid: tuple[tuple[int, str], ...]
    errors: tuple[tuple[str, PyclaimsError], ...] = field(compare=False)
    transactions: int
    gas_used: int

    @property
    def ok(self) -> bool:
        """Every payable claim of the round is settled."""
        return not self.unpaid and not self.errors

    @property
    def amount_paid(self) -> BaseUnits:
        """The total paid by this call."""
        return BaseUnits(sum(p.amount for p in self.paid))


def _chunk_op(client: Client, round_id: int, chunk: Sequence[_Entry]) -> Op:
    ids = [e.claim_id for e in chunk]
    digest = keccak(b"".join(c.to_bytes(32, "big") for c in ids)).hex()[:16]
    op_id = f"payout:{round_id}:{ids[0]}" if len(ids) == 1 else f"payout:{round_id}:{ids[0]}-{ids[-1]}:{digest}"
    hints = {e.claim_id: e.hint for e in chunk}

    def payable() -> list[int]:
        entries = _entries(client, round_id, ids)
        return [e.claim_id for e in entries if e.entitled and not e.withheld and not e.settled]

    def build() -> dict[str, Any]:
        todo = payable()
        if len(todo) == 1:
            return client.tx_request("ClaimDistributor", "payout", round_id, todo[0], hints[todo[0]])
        return client.tx_request("ClaimDistributor", "payoutBatch", round_id, todo, [hints[c] for c in todo])

    return Op(op_id, build=build, is_done=lambda: not payable())


def pay_round(
    client: Client,
    round_id: int,
    *,
    journal_path: str | PathLike[str],
    batch_size: int = DEFAULT_PAYOUT_BATCH,
    window: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> PayoutReport:
    """Pay every payable (round, claim) of ``round_id`` exactly once, in pipelined ``payoutBatch`` transactions.

    Anyone may pay (the money goes only to holders of record). Chunk boundaries are fixed over the round's
    entitled claims (ascending ids), so a rerun with the same journal resumes the same operations: what an
    interrupted run left in flight is settled first, then each chunk pays only its claims not yet settled.

    Args:
        client: any account (it pays the gas).
        round_id: the round.
        journal_path: the journal (reuse it to resume).
        batch_size: claims per transaction.
        window: transactions in flight at once.
        progress: called with ``(claims handled, claims of the round)`` after each window.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size: must be >= 1, got {batch_size}")
    if window < 1:
        raise ValueError(f"window: must be >= 1, got {window}")
    entries = [e for e in _entries(client, round_id, round_claims(client, round_id)) if e.entitled]
    chunks = [entries[i : i + batch_size] for i in range(0, len(entries), batch_size)]
    ops = [_chunk_op(client, round_id, chunk) for chunk in chunks]
    paid: list[PayoutRecord] = []
    errors: list[tuple[str, PyclaimsError]] = []
    transactions = gas = 0
    with Journal(journal_path) as journal:
        sender = client.tx_sender(journal=journal)
        sender.resume(ops)
        fresh = _entries(client, round_id, [e.claim_id for e in entries])
        state = {e.claim_id: e for e in fresh}
        pending = [
            (chunk, current_op(journal, client.w3, op, done_on_chain=False))
            for chunk, op in zip(chunks, ops, strict=True)
            if any(not state[e.claim_id].settled and not state[e.claim_id].withheld for e in chunk)
        ]
        handled = len(entries) - sum(len(c) for c, _ in pending)
        if progress is not None:
            progress(handled, len(entries))
        window = fit_window(sender, pending[0][1], window) if pending else window
        for start in range(0, len(pending), window):
            group = pending[start : start + window]
            result = sender.run_ops([op for _, op in group], window=window)
            for outcome in result.results:
                if outcome.status is OpStatus.MINED and outcome.receipt is not None:
                    transactions += 1
                    gas += int(outcome.receipt["gasUsed"])
                    paid.extend(p for p in client.payouts(client.receipt(outcome.receipt)) if p.kind == PayoutKind.PAID)
                elif outcome.status is OpStatus.FAILED:
                    decoded = getattr(outcome.error, "decoded", None)
                    reason = decoded if isinstance(decoded, PyclaimsError) else outcome.error
                    errors.append((outcome.op_id, reason or PyclaimsError("failed")))
            handled += sum(len(c) for c, _ in group)
            if progress is not None:
                progress(handled, len(entries))
    final = _entries(client, round_id, [e.claim_id for e in entries])
    withheld = tuple(e.claim_id for e in final if e.withheld and not e.settled)
    unpaid = tuple(
        (e.claim_id, PAYOUT_SKIP_REASONS[5] if not e.withheld else "withheld")
        for e in final
        if not e.settled and not e.withheld
    )
    return PayoutReport(round_id, tuple(paid), withheld, unpaid, tuple(errors), transactions, gas)


# ------------------------------------------------------------------------------------------------ disputes


def resolve(
    client: Client,
    claim_id: int,
    *,
    allow: bool,
    round_ids: Sequence[int] | None = None,
    set_status: bool = True,
) -> list[PayoutRecord]:
    """Resolve a disputed claim: ``allow=True`` makes it Allowed and releases its withheld payouts to the
    holders of record; ``allow=False`` expunges it and returns them to each round's funder.

    The client's account needs ``VALIDATOR_ROLE`` (with ``set_status``) and ``RESOLVER_ROLE``. ``round_ids``
    defaults to every round of the claim's class declared after it was minted.
    """
    claim = client.claim_of(claim_id)
    target = ClaimStatus.Allowed if allow else ClaimStatus.Expunged
    if set_status and claim.status is not target:
        client.set_status(claim_id, target)
    rounds = (
        [r for r in client.rounds() if r.class_id == claim.class_id] if round_ids is None else client.rounds(round_ids)
    )
    records: list[PayoutRecord] = []
    for rnd in rounds:
        entries = _entries(client, rnd.round_id, [claim_id])
        if not entries or entries[0].settled or not entries[0].entitled or not entries[0].withheld:
            continue
        hint = entries[0].hint
        if allow:
            records.append(client.release(rnd.round_id, claim_id, hint=hint))
        else:
            records.append(client.return_withheld(rnd.round_id, claim_id, hint=hint))
    return records


# ------------------------------------------------------------------------------------------------ reconciliation


@dataclass(frozen=True)
class RoundBalance:
    """One round's books, each term computed independently.

    Attributes:
        round: the round as ``roundOf`` reports it.
        claims: its entitled claims (claims of record, not expunged at the round).
        funded: ``roundOf.funded``.
        funded_by_rule: ``ceil(totalAllowed * rateDelta / 1e6)`` from the round's own totals.
        shares: the sum over its entitled claims of ``floor(amount of record * rateDelta / 1e6)``.
        paid: ``PayoutMade`` + ``PayoutReleased`` amounts (events).
        returned: ``WithheldReturned`` amounts (events).
        owed: unsettled, not withheld: shares still to pay (``recordAt``, ``isSettled``).
        withheld: unsettled, disputed: shares held back.
        dust: ``funded - shares``.
        settled_by_events: (round, claim) pairs with a payout event; must equal those ``isSettled`` says.
        problems: every equality that failed, in words (empty when balanced).
    """

    round: Round
    claims: int
    funded: BaseUnits
    funded_by_rule: BaseUnits
    shares: BaseUnits
    paid: BaseUnits
    returned: BaseUnits
    owed: BaseUnits
    withheld: BaseUnits
    dust: BaseUnits
    settled_by_events: int
    problems: tuple[str, ...]

    @property
    def balanced(self) -> bool:
        """``funded == paid + returned + owed + withheld + dust`` and every cross-check holds."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (amounts as decimal strings of base units)."""
        return {
            "round_id": self.round.round_id,
            "class_id": self.round.class_id,
            "claims": self.claims,
            "funded": str(self.funded),
            "paid": str(self.paid),
            "returned": str(self.returned),
            "owed": str(self.owed),
            "withheld": str(self.withheld),
            "dust": str(self.dust),
            "balanced": self.balanced,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class ReconciliationReport:
    """Per-round books and, over every round, the distributor's stablecoin balance against what it holds for
    them.

    Attributes:
        rounds: one :class:`RoundBalance` per round reconciled.
        distributor_balance: the distributor's stablecoin balance.
        held_for_rounds: ``sum(owed + withheld + dust)`` over every round (all rounds, whatever was asked).
        unexplained: ``distributor_balance - held_for_rounds`` (stablecoin sent to it outside any round).
    """

    rounds: tuple[RoundBalance, ...]
    distributor_balance: BaseUnits
    held_for_rounds: BaseUnits
    unexplained: int

    @property
    def balanced(self) -> bool:
        """Every round balances and the distributor holds exactly what the rounds say."""
        return all(r.balanced for r in self.rounds) and self.unexplained == 0

    def raise_if_unbalanced(self) -> None:
        """Raise :class:`~pyclaims.errors.ReconciliationError` for the first problem found."""
        for r in self.rounds:
            if r.problems:
                raise ReconciliationError(r.round.round_id, "; ".join(r.problems))
        if self.unexplained:
            raise ReconciliationError(
                0,
                f"the distributor holds {self.distributor_balance}, the rounds account for {self.held_for_rounds}",
            )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "balanced": self.balanced,
            "distributor_balance": str(self.distributor_balance),
            "held_for_rounds": str(self.held_for_rounds),
            "unexplained": str(self.unexplained),
            "rounds": [r.as_dict() for r in self.rounds],
        }


def _balance(client: Client, rnd: Round, events: dict[str, list[Any]]) -> RoundBalance:
    claim_ids = round_claims(client, rnd.round_id)
    entries = [e for e in _entries(client, rnd.round_id, claim_ids) if e.entitled]
    delta = rnd.rate_delta
    mine = [
        ev for name in ("PayoutMade", "PayoutReleased") for ev in events[name] if ev.args["roundId"] == rnd.round_id
    ]
    back = [ev for ev in events["WithheldReturned"] if ev.args["roundId"] == rnd.round_id]
    paid = sum(int(ev.args["amount"]) for ev in mine)
    returned = sum(int(ev.args["amount"]) for ev in back)
    shares = sum(_share(e.amount, delta) for e in entries)
    owed = sum(_share(e.amount, delta) for e in entries if not e.settled and not e.withheld)
    withheld = sum(_share(e.amount, delta) for e in entries if not e.settled and e.withheld)
    funded = int(rnd.funded)
    by_rule = -(-int(rnd.total_allowed) * delta // RATE_SCALE)
    dust = funded - shares
    problems: list[str] = []
    if funded != paid + returned + owed + withheld + dust:
        problems.append(
            f"funded {funded} != paid {paid} + returned {returned} + owed {owed} + withheld {withheld} + dust {dust}"
        )
    if funded != by_rule:
        problems.append(f"funded {funded} != ceil(totalAllowed {rnd.total_allowed} * {delta} / 1e6) = {by_rule}")
    total_of_record = sum(e.amount for e in entries)
    if total_of_record != rnd.total_allowed:
        problems.append(f"the claims of record add up to {total_of_record}, the round says {rnd.total_allowed}")
    if returned != rnd.returned:
        problems.append(f"WithheldReturned events sum to {returned}, roundOf.returned is {rnd.returned}")
    if not 0 <= dust <= len(entries):
        problems.append(f"dust {dust} is outside [0, {len(entries)}]")
    settled_events = {int(ev.args["claimId"]) for ev in (*mine, *back)}
    settled_state = {e.claim_id for e in entries if e.settled}
    if settled_events != settled_state or len(settled_events) != len(mine) + len(back):
        problems.append(
            f"{len(mine) + len(back)} payout events for {len(settled_events)} claims, {len(settled_state)} settled"
        )
    expected = {e.claim_id: _share(e.amount, delta) for e in entries}
    for ev in (*mine, *back):
        claim_id = int(ev.args["claimId"])
        if expected.get(claim_id) != int(ev.args["amount"]):
            problems.append(f"claim {claim_id} moved {ev.args['amount']}, its share is {expected.get(claim_id)}")
    return RoundBalance(
        round=rnd,
        claims=len(entries),
        funded=BaseUnits(funded),
        funded_by_rule=BaseUnits(by_rule),
        shares=BaseUnits(shares),
        paid=BaseUnits(paid),
        returned=BaseUnits(returned),
        owed=BaseUnits(owed),
        withheld=BaseUnits(withheld),
        dust=BaseUnits(dust),
        settled_by_events=len(settled_events),
        problems=tuple(problems),
    )


def reconcile(client: Client, round_id: int | None = None) -> ReconciliationReport:
    """The books of one round (or of every round, with ``None``), proving conservation to the base unit (see
    the module docstring). The distributor-balance check always covers every round."""
    events = {
        name: client.events("ClaimDistributor", name) for name in ("PayoutMade", "PayoutReleased", "WithheldReturned")
    }
    every = [_balance(client, rnd, events) for rnd in client.rounds()]
    held = sum(b.owed + b.withheld + b.dust for b in every)
    balance = client.stablecoin_balance(client.deployment.distributor)
    chosen = tuple(b for b in every if round_id is None or b.round.round_id == round_id)
    if round_id is not None and not chosen:
        raise ValueError(f"round_id: no round {round_id} (rounds 1..{len(every)})")
    return ReconciliationReport(chosen, balance, BaseUnits(held), int(balance) - held)
