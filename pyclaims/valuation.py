"""Valuation: what holding a claim is worth to its seller, next to what a buyer offers for it.

The model, stated once so every number below can be checked by hand:

* The claim has an allowed amount ``A`` (base units) and has been paid ``paid_so_far`` already.
* Each expected future round ``k`` pays on ``date_k`` with probability ``p_k`` (independent of the others).
  Its rate is a share of ``A`` in ppm, either *cumulative* (the total paid per unit of allowed amount once the
  round has paid, as the distributor's ``cumulativeRatePpm``) or *incremental* (what that round alone adds).
  Cumulative rates must not decrease; round ``k`` then adds ``max(0, A*C_k - max(paid_so_far, A*C_{k-1}))``.
* With probability ``q`` (``dispute_probability_ppm``) the claim turns out disputed and pays its holder
  nothing more (withheld, possibly expunged).
* Money is discounted at a nominal annual rate ``r`` compounded daily over actual days, ACT/365: a payment
  ``d`` days after the valuation date is worth ``(1 + r/365) ** -d`` of itself today.

So the value of holding is ``(1 - q) * sum_k p_k * increment_k * (1 + r/365) ** -d_k``, computed exactly with
:class:`fractions.Fraction` and **floored** to a whole base unit. The buyer's implied annual return is the
nominal annual rate (same daily-compounding convention) at which the expected payments are worth exactly the
price: found by integer bisection, **floored to a whole basis point** (the largest rate, in bps, at which the
expected payments are still worth at least the price). Percentages of the premium are floored to a bps too.
No floats anywhere; ``Decimal`` only formats the :meth:`HoldingValue.describe` text.

Exceptions::

    ValueError
     └── ValuationError     (field, reason)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from math import floor, lcm
from typing import Final, Literal

from pyclaims.errors import PyclaimsError
from pyclaims.types import (
    BPS_SCALE,
    RATE_SCALE,
    UINT64_MAX,
    UINT96_MAX,
    BaseUnits,
    Bps,
    ClaimClass,
    Ppm,
    format_usd,
)

__all__ = [
    "DAYS_PER_YEAR",
    "MAX_IMPLIED_RETURN_BPS",
    "MIN_IMPLIED_RETURN_BPS",
    "ExpectedRound",
    "HoldingInputs",
    "HoldingValue",
    "OfferComparison",
    "RateBasis",
    "RoundValue",
    "ValuationError",
    "compare_offer",
    "value_holding",
]

DAYS_PER_YEAR: Final = 365
"""ACT/365: a year is 365 days for discounting, whatever the calendar says."""

MIN_IMPLIED_RETURN_BPS: Final = -BPS_SCALE
"""-100% a year: the lowest implied return searched."""

MAX_IMPLIED_RETURN_BPS: Final = 10_000_000
"""100,000% a year: the highest implied return searched (beyond it the report says "above")."""

_MAX_DISCOUNT_RATE_PPM: Final = 100 * RATE_SCALE  # 10,000% a year: anything above is surely a unit mistake
_BPS_DAY_SCALE: Final = DAYS_PER_YEAR * BPS_SCALE  # (1 + b/10_000/365) == (_BPS_DAY_SCALE + b) / _BPS_DAY_SCALE


class ValuationError(PyclaimsError, ValueError):
    """Valuation inputs are out of range or inconsistent.

    Attributes:
        field: the input at fault (``"rounds[2].rate_ppm"``, ``"annual_discount_rate_ppm"``...).
        reason: what is wrong, in words.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class RateBasis(Enum):
    """How :attr:`ExpectedRound.rate_ppm` is meant."""

    CUMULATIVE = "cumulative"
    """Total paid per unit of allowed amount once the round has paid (the distributor's cumulative rate)."""
    INCREMENTAL = "incremental"
    """What this round alone pays per unit of allowed amount."""


@dataclass(frozen=True)
class ExpectedRound:
    """A distribution round the holder expects.

    Attributes:
        date: when it pays (not before the valuation date).
        rate_ppm: share of the allowed amount in ppm, cumulative or incremental (see :class:`RateBasis`).
        probability_ppm: the chance it pays at all, in ppm (independent of other rounds).
    """

    date: dt.date
    rate_ppm: int
    probability_ppm: int = RATE_SCALE


@dataclass(frozen=True)
class HoldingInputs:
    """Everything the value of holding depends on. Validated on construction (:class:`ValuationError`).

    Attributes:
        allowed_amount: base units (> 0).
        rounds: expected future rounds, in date order.
        valuation_date: "today".
        annual_discount_rate_ppm: the seller's nominal annual discount rate (compounded daily), ppm.
        dispute_probability_ppm: chance the claim ends up disputed and pays nothing more, ppm.
        paid_so_far: base units already received on this claim.
        rate_basis: how the rounds' rates are meant.
        claim_class: the claim's class, for the description only.
    """

    allowed_amount: int
    rounds: tuple[ExpectedRound, ...]
    valuation_date: dt.date
    annual_discount_rate_ppm: int
    dispute_probability_ppm: int = 0
    paid_so_far: int = 0
    rate_basis: RateBasis = RateBasis.CUMULATIVE
    claim_class: ClaimClass | None = None

    def __post_init__(self) -> None:
        if not 0 < self.allowed_amount <= UINT96_MAX:
            raise ValuationError("allowed_amount", f"must be in 1..{UINT96_MAX} base units")
        if self.paid_so_far < 0:
            raise ValuationError("paid_so_far", "must not be negative")
        if not 0 <= self.annual_discount_rate_ppm <= _MAX_DISCOUNT_RATE_PPM:
            raise ValuationError(
                "annual_discount_rate_ppm", f"must be in 0..{_MAX_DISCOUNT_RATE_PPM} ppm (0..10,000% a year)"
            )
        if not 0 <= self.dispute_probability_ppm <= RATE_SCALE:
            raise ValuationError("dispute_probability_ppm", f"must be in 0..{RATE_SCALE} ppm")
        previous: ExpectedRound | None = None
        for i, rnd in enumerate(self.rounds):
            where = f"rounds[{i}]"
            if rnd.date < self.valuation_date:
                raise ValuationError(
                    f"{where}.date",
                    f"{rnd.date} is before the valuation date {self.valuation_date}; count it in paid_so_far",
                )
            if not 0 <= rnd.rate_ppm <= UINT64_MAX:
                raise ValuationError(f"{where}.rate_ppm", "must be a non-negative ppm value")
            if not 0 <= rnd.probability_ppm <= RATE_SCALE:
                raise ValuationError(f"{where}.probability_ppm", f"must be in 0..{RATE_SCALE} ppm")
            if previous is not None:
                if rnd.date < previous.date:
                    raise ValuationError(f"{where}.date", f"{rnd.date} is before the previous round's date")
                if self.rate_basis is RateBasis.CUMULATIVE and rnd.rate_ppm < previous.rate_ppm:
                    raise ValuationError(
                        f"{where}.rate_ppm", "cumulative rates must not decrease from one round to the next"
                    )
            previous = rnd


@dataclass(frozen=True)
class RoundValue:
    """One round's contribution to the value of holding (each figure floored to a base unit).

    Attributes:
        round: the expected round.
        days: days from the valuation date to the round.
        payment: what the round pays if it pays (and the claim is not disputed).
        expected_payment: ``payment`` weighted by the round's and the no-dispute probabilities.
        present_value: ``expected_payment`` discounted to the valuation date.
    """

    round: ExpectedRound
    days: int
    payment: BaseUnits
    expected_payment: BaseUnits
    present_value: BaseUnits


@dataclass(frozen=True)
class HoldingValue:
    """The value of holding a claim, with the exact expected cash flows it came from.

    Attributes:
        inputs: what was valued.
        rounds: per-round breakdown (floored separately, so they may sum a few base units below the totals).
        expected_payments: undiscounted expected future payments, floored (base units).
        hold_value: present value of holding, floored (base units).
        exact_hold_value: the same, unrounded.
    """

    inputs: HoldingInputs
    rounds: tuple[RoundValue, ...]
    expected_payments: BaseUnits
    hold_value: BaseUnits
    exact_hold_value: Fraction

    @property
    def hold_value_ppm(self) -> Ppm:
        """The value of holding as a share of the allowed amount, ppm (floored)."""
        return Ppm(self.hold_value * RATE_SCALE // self.inputs.allowed_amount)

    def compare(self, price: int) -> OfferComparison:
        """Compare an offer price (base units) with the value of holding; see :func:`compare_offer`."""
        return compare_offer(self, price)

    def describe(self) -> str:
        """A few lines for a person deciding whether to sell."""
        i = self.inputs
        cls = f" ({i.claim_class.name} class)" if i.claim_class else ""
        lines = [
            f"Claim: {format_usd(i.allowed_amount)} allowed{cls}, {format_usd(i.paid_so_far)} paid so far",
            f"Expected rounds ({i.rate_basis.value} rates), valued on {i.valuation_date.isoformat()}:",
        ]
        lines.extend(
            f"  {rv.round.date.isoformat()} (in {rv.days} days): rate {_pct(rv.round.rate_ppm)}, "
            f"chance {_pct(rv.round.probability_ppm)}, pays {format_usd(rv.payment)}, "
            f"expected {format_usd(rv.expected_payment)}, worth today {format_usd(rv.present_value)}"
            for rv in self.rounds
        )
        if not self.rounds:
            lines.append("  (none)")
        lines.append(
            f"Chance of dispute {_pct(i.dispute_probability_ppm)}; discount rate "
            f"{_pct(i.annual_discount_rate_ppm)} a year (compounded daily, ACT/365)"
        )
        lines.append(
            f"Value of holding: {format_usd(self.hold_value)} ({_pct(self.hold_value_ppm)} of allowed); "
            f"expected payments {format_usd(self.expected_payments)} undiscounted"
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class OfferComparison:
    """An offer next to the value of holding.

    Attributes:
        price: what the buyer pays (base units).
        hold_value: the seller's value of holding (base units, floored).
        premium: ``price - hold_value`` (negative: the offer is below the value of holding).
        premium_bps: ``premium`` as bps of ``hold_value``, floored; ``None`` when ``hold_value`` is 0.
        price_ppm_of_allowed: the price per unit of allowed amount, ppm (floored).
        implied_annual_return_bps: the buyer's expected return, bps a year, floored; ``None`` unless
            ``implied_return_status == "exact"``.
        implied_return_status: ``"exact"``; ``"above"`` / ``"below"`` the searched range
            (:data:`MAX_IMPLIED_RETURN_BPS`, :data:`MIN_IMPLIED_RETURN_BPS`); or ``"none"`` when no payment is
            expected or the price is 0.
    """

    price: BaseUnits
    hold_value: BaseUnits
    premium: int
    premium_bps: Bps | None
    price_ppm_of_allowed: Ppm
    implied_annual_return_bps: Bps | None
    implied_return_status: Literal["exact", "above", "below", "none"]

    def describe(self) -> str:
        """One or two lines to print next to an offer."""
        if self.premium > 0:
            side = "above"
        elif self.premium < 0:
            side = "below"
        else:
            side = "equal to"
        pct = f" ({_bps(abs(self.premium_bps))})" if self.premium_bps is not None else ""
        gap = f"{format_usd(abs(self.premium))}{pct} {side}" if self.premium else side
        head = (
            f"Offer {format_usd(self.price)} ({_pct(self.price_ppm_of_allowed)} of allowed) is {gap} "
            f"the value of holding, {format_usd(self.hold_value)}."
        )
        if self.implied_return_status == "exact" and self.implied_annual_return_bps is not None:
            tail = f"A buyer paying this expects {_bps(self.implied_annual_return_bps)} a year."
        elif self.implied_return_status == "above":
            tail = f"A buyer paying this expects more than {_bps(MAX_IMPLIED_RETURN_BPS)} a year."
        elif self.implied_return_status == "below":
            tail = f"A buyer paying this expects less than {_bps(MIN_IMPLIED_RETURN_BPS)} a year."
        else:
            tail = "No buyer return can be computed (no expected payments, or a zero price)."
        return f"{head}\n{tail}"


# ------------------------------------------------------------------------------------------------------------
# Computation


def _increments(inputs: HoldingInputs) -> list[Fraction]:
    """What each round pays if it pays, in base units (exact)."""
    a = inputs.allowed_amount
    out: list[Fraction] = []
    if inputs.rate_basis is RateBasis.INCREMENTAL:
        return [Fraction(a * rnd.rate_ppm, RATE_SCALE) for rnd in inputs.rounds]
    level = Fraction(inputs.paid_so_far)
    for rnd in inputs.rounds:
        target = Fraction(a * rnd.rate_ppm, RATE_SCALE)
        out.append(max(Fraction(0), target - level))
        level = max(level, target)
    return out


def _cash_flows(inputs: HoldingInputs) -> list[tuple[int, Fraction]]:
    """Expected payments as (days from valuation date, exact base units), dispute risk included."""
    survive = Fraction(RATE_SCALE - inputs.dispute_probability_ppm, RATE_SCALE)
    return [
        ((rnd.date - inputs.valuation_date).days, inc * Fraction(rnd.probability_ppm, RATE_SCALE) * survive)
        for rnd, inc in zip(inputs.rounds, _increments(inputs), strict=True)
    ]


def _discount(days: int, rate_ppm: int) -> Fraction:
    """``(1 + r/365) ** -days`` for a nominal annual rate ``r`` in ppm, exactly."""
    scale = DAYS_PER_YEAR * RATE_SCALE
    return Fraction(scale**days, (scale + rate_ppm) ** days)


def value_holding(inputs: HoldingInputs) -> HoldingValue:
    """The value of holding the claim (see the module docstring for the model and the rounding)."""
    flows = _cash_flows(inputs)
    increments = _increments(inputs)
    rounds: list[RoundValue] = []
    total_expected = Fraction(0)
    total_pv = Fraction(0)
    for rnd, inc, (days, expected) in zip(inputs.rounds, increments, flows, strict=True):
        pv = expected * _discount(days, inputs.annual_discount_rate_ppm)
        total_expected += expected
        total_pv += pv
        rounds.append(
            RoundValue(
                round=rnd,
                days=days,
                payment=BaseUnits(floor(inc)),
                expected_payment=BaseUnits(floor(expected)),
                present_value=BaseUnits(floor(pv)),
            )
        )
    return HoldingValue(
        inputs=inputs,
        rounds=tuple(rounds),
        expected_payments=BaseUnits(floor(total_expected)),
        hold_value=BaseUnits(floor(total_pv)),
        exact_hold_value=total_pv,
    )


def _worth_at_least(flows: list[tuple[int, Fraction]], bps: int, price: int) -> bool:
    """Whether the flows discounted at ``bps`` a year (daily compounding) are worth at least ``price``.

    All-integer: both sides are multiplied by the common denominator and by ``(D + bps) ** max_days``.
    """
    d = _BPS_DAY_SCALE
    growth = d + bps  # > 0 because bps >= MIN_IMPLIED_RETURN_BPS > -D
    max_days = max(days for days, _ in flows)
    common = lcm(*(cf.denominator for _, cf in flows))
    lhs: int = sum(
        cf.numerator * (common // cf.denominator) * d**days * growth ** (max_days - days) for days, cf in flows
    )
    rhs: int = price * common * growth**max_days
    return lhs >= rhs


def _implied_return(
    flows: list[tuple[int, Fraction]], price: int
) -> tuple[Bps | None, Literal["exact", "above", "below", "none"]]:
    flows = [(days, cf) for days, cf in flows if cf > 0]
    if price <= 0 or not flows:
        return None, "none"
    lo, hi = MIN_IMPLIED_RETURN_BPS, MAX_IMPLIED_RETURN_BPS
    if not _worth_at_least(flows, lo, price):
        return None, "below"
    if _worth_at_least(flows, hi, price):
        return None, "above"
    # Invariant: worth(lo) >= price > worth(hi); worth is non-increasing in the rate.
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _worth_at_least(flows, mid, price):
            lo = mid
        else:
            hi = mid
    return Bps(lo), "exact"


def compare_offer(holding: HoldingValue, price: int) -> OfferComparison:
    """Compare an offer price (base units, >= 0) with the value of holding.

    Raises:
        ValuationError: the price is negative or above ``uint96`` base units.
    """
    if not 0 <= price <= UINT96_MAX:
        raise ValuationError("price", f"must be in 0..{UINT96_MAX} base units")
    hold = holding.hold_value
    premium = price - hold
    premium_bps = Bps(premium * BPS_SCALE // hold) if hold > 0 else None
    rate, status = _implied_return(_cash_flows(holding.inputs), price)
    return OfferComparison(
        price=BaseUnits(price),
        hold_value=hold,
        premium=premium,
        premium_bps=premium_bps,
        price_ppm_of_allowed=Ppm(price * RATE_SCALE // holding.inputs.allowed_amount),
        implied_annual_return_bps=rate,
        implied_return_status=status,
    )


# ------------------------------------------------------------------------------------------------------------
# Display helpers (Decimal for text only)


def _pct(ppm: int) -> str:
    """ppm as a percentage with up to 4 decimals: 720000 -> "72%", 123456 -> "12.3456%"."""
    text = format(Decimal(ppm).scaleb(-4), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _bps(bps: int) -> str:
    """bps as a percentage: 1234 -> "12.34%"."""
    return _pct(bps * (RATE_SCALE // BPS_SCALE))
