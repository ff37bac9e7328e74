"""Tests for pyclaims.valuation: hand-checked values, rounding, validation, offers, monotonicity properties."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyclaims import valuation as v
from pyclaims.types import UINT96_MAX, ClassScheme
from pyclaims.valuation import (
    MAX_IMPLIED_RETURN_BPS,
    ExpectedRound,
    HoldingInputs,
    RateBasis,
    ValuationError,
    compare_offer,
    value_holding,
)

TODAY = dt.date(2025, 6, 1)
USD = 1_000_000


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def inputs(**overrides: object) -> HoldingInputs:
    base: dict[str, object] = {
        "allowed_amount": 100_000 * USD,
        "rounds": (ExpectedRound(day(121), 950_000, 900_000), ExpectedRound(day(394), 1_200_000, 600_000)),
        "valuation_date": TODAY,
        "annual_discount_rate_ppm": 150_000,
        "dispute_probability_ppm": 20_000,
        "paid_so_far": 72_000 * USD,
    }
    base.update(overrides)
    return HoldingInputs(**base)  # type: ignore[arg-type]


def worth(flows_days: list[tuple[int, Fraction]], bps: int) -> Fraction:
    """Reference NPV at a nominal annual rate in bps, daily compounding (independent of the module's integer code)."""
    growth = 1 + Fraction(bps, 10_000 * 365)
    return sum((cf / growth**days for days, cf in flows_days), Fraction(0))


# ---------------------------------------------------------------------------------------------------------------
# Hand-checked values


def test_no_discount_single_incremental_round() -> None:
    h = value_holding(
        inputs(
            rounds=(ExpectedRound(day(30), 500_000, 800_000),),
            rate_basis=RateBasis.INCREMENTAL,
            annual_discount_rate_ppm=0,
            dispute_probability_ppm=100_000,
        )
    )
    # 100,000 * 50% * 80% * 90% = 36,000
    assert h.hold_value == 36_000 * USD
    assert h.expected_payments == 36_000 * USD
    assert h.exact_hold_value == 36_000 * USD
    (rv,) = h.rounds
    assert (rv.days, rv.payment, rv.expected_payment, rv.present_value) == (
        30,
        50_000 * USD,
        36_000 * USD,
        36_000 * USD,
    )
    assert h.hold_value_ppm == 360_000


def test_daily_compounding_is_exact() -> None:
    # 36.5% a year compounded daily is 0.1% a day: 1,001 USD one day out is worth 1,000 USD today.
    h = value_holding(
        inputs(
            allowed_amount=1_001 * USD,
            paid_so_far=0,
            rounds=(ExpectedRound(day(1), 1_000_000),),
            annual_discount_rate_ppm=365_000,
            dispute_probability_ppm=0,
        )
    )
    assert h.exact_hold_value == 1_000 * USD
    assert h.hold_value == 1_000 * USD
    two = value_holding(
        inputs(
            allowed_amount=1_002_001,
            paid_so_far=0,
            rounds=(ExpectedRound(day(2), 1_000_000),),
            annual_discount_rate_ppm=365_000,
            dispute_probability_ppm=0,
        )
    )
    assert two.exact_hold_value == 1_000_000


def test_cumulative_rates_net_of_paid_so_far() -> None:
    h = value_holding(inputs(annual_discount_rate_ppm=0, dispute_probability_ppm=0))
    first, second = h.rounds
    assert first.payment == 23_000 * USD  # 95% - 72% already paid
    assert second.payment == 25_000 * USD  # 120% - 95%
    assert first.expected_payment == 20_700 * USD
    assert second.expected_payment == 15_000 * USD
    assert h.hold_value == 35_700 * USD


def test_cumulative_rate_below_paid_so_far_pays_nothing() -> None:
    h = value_holding(
        inputs(
            rounds=(ExpectedRound(day(10), 500_000), ExpectedRound(day(20), 800_000)),
            annual_discount_rate_ppm=0,
            dispute_probability_ppm=0,
        )
    )
    assert [rv.payment for rv in h.rounds] == [0, 8_000 * USD]


def test_present_value_is_floored() -> None:
    h = value_holding(
        inputs(
            allowed_amount=10,
            paid_so_far=0,
            rounds=(ExpectedRound(day(0), 333_333),),
            rate_basis=RateBasis.INCREMENTAL,
            annual_discount_rate_ppm=0,
            dispute_probability_ppm=0,
        )
    )
    assert h.exact_hold_value == Fraction(3_333_330, 1_000_000)
    assert h.hold_value == 3


def test_reference_example_values() -> None:
    h = value_holding(inputs())
    assert h.hold_value == 31_805_053_877
    assert h.expected_payments == 34_986 * USD
    assert h.exact_hold_value.__floor__() == h.hold_value
    assert sum(rv.present_value for rv in h.rounds) <= h.hold_value < sum(rv.present_value for rv in h.rounds) + 2


def test_no_rounds_is_worth_nothing() -> None:
    h = value_holding(inputs(rounds=()))
    assert h.hold_value == 0
    assert h.expected_payments == 0
    assert "(none)" in h.describe()
    c = h.compare(5 * USD)
    assert c.premium == 5 * USD
    assert c.premium_bps is None
    assert (c.implied_annual_return_bps, c.implied_return_status) == (None, "none")


# ---------------------------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"allowed_amount": 0}, "allowed_amount"),
        ({"allowed_amount": UINT96_MAX + 1}, "allowed_amount"),
        ({"paid_so_far": -1}, "paid_so_far"),
        ({"annual_discount_rate_ppm": -1}, "annual_discount_rate_ppm"),
        ({"annual_discount_rate_ppm": 100_000_001}, "annual_discount_rate_ppm"),
        ({"dispute_probability_ppm": 1_000_001}, "dispute_probability_ppm"),
        ({"dispute_probability_ppm": -1}, "dispute_probability_ppm"),
        ({"rounds": (ExpectedRound(day(-1), 1),)}, "rounds[0].date"),
        ({"rounds": (ExpectedRound(day(5), 1), ExpectedRound(day(4), 2))}, "rounds[1].date"),
        ({"rounds": (ExpectedRound(day(5), -1),)}, "rounds[0].rate_ppm"),
        ({"rounds": (ExpectedRound(day(5), 1, 1_000_001),)}, "rounds[0].probability_ppm"),
        ({"rounds": (ExpectedRound(day(5), 1, -1),)}, "rounds[0].probability_ppm"),
        ({"rounds": (ExpectedRound(day(5), 900_000), ExpectedRound(day(6), 800_000))}, "rounds[1].rate_ppm"),
    ],
)
def test_inputs_are_validated(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValuationError) as info:
        inputs(**overrides)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(f"{field}: ")


def test_decreasing_rates_are_fine_when_incremental() -> None:
    rounds = (ExpectedRound(day(5), 900_000), ExpectedRound(day(6), 100_000))
    h = value_holding(inputs(rounds=rounds, rate_basis=RateBasis.INCREMENTAL, annual_discount_rate_ppm=0))
    assert [rv.payment for rv in h.rounds] == [90_000 * USD, 10_000 * USD]


@pytest.mark.parametrize("price", [-1, UINT96_MAX + 1])
def test_price_is_validated(price: int) -> None:
    with pytest.raises(ValuationError) as info:
        compare_offer(value_holding(inputs()), price)
    assert info.value.field == "price"


# ---------------------------------------------------------------------------------------------------------------
# Offers


def test_compare_offer_below_value() -> None:
    h = value_holding(inputs())
    c = h.compare(30_000 * USD)
    assert c == compare_offer(h, 30_000 * USD)
    assert c.price == 30_000 * USD
    assert c.hold_value == h.hold_value
    assert c.premium == 30_000 * USD - 31_805_053_877
    assert c.premium_bps == -568  # floor(-5.675...%)
    assert c.price_ppm_of_allowed == 300_000
    assert c.implied_return_status == "exact"
    assert c.implied_annual_return_bps == 2444
    text = c.describe()
    assert "Offer $30,000.00 (30% of allowed) is $1,805.053877 (5.68%) below the value of holding" in text
    assert "A buyer paying this expects 24.44% a year." in text


def test_compare_offer_above_and_equal() -> None:
    h = value_holding(inputs())
    above = h.compare(h.hold_value + 1_000 * USD)
    assert above.premium == 1_000 * USD
    assert above.premium_bps is not None
    assert above.premium_bps > 0
    assert "above the value of holding" in above.describe()
    equal = h.compare(h.hold_value)
    assert (equal.premium, equal.premium_bps) == (0, 0)
    assert "is equal to the value of holding" in equal.describe()
    # at a price equal to the value of holding, the buyer earns the seller's discount rate (15% = 1500 bps)
    assert equal.implied_annual_return_bps == 1500


def test_implied_return_is_the_floored_bps_root() -> None:
    h = value_holding(inputs())
    flows = v._cash_flows(h.inputs)
    for price in (1_000 * USD, 25_000 * USD, 34_000 * USD, 34_986 * USD):
        c = h.compare(price)
        assert c.implied_return_status == "exact"
        bps = c.implied_annual_return_bps
        assert bps is not None
        assert worth(flows, bps) >= price > worth(flows, bps + 1)


def test_implied_return_single_round_known_rate() -> None:
    h = value_holding(
        inputs(
            rounds=(ExpectedRound(day(365), 1_000_000),),
            paid_so_far=0,
            dispute_probability_ppm=0,
            annual_discount_rate_ppm=0,
        )
    )
    price = (100_000 * USD * Fraction(3_650_000, 3_651_000) ** 365).__floor__()  # 10% a year, daily
    assert h.compare(price).implied_annual_return_bps == 1000


def test_implied_return_out_of_range() -> None:
    h = value_holding(inputs())
    assert h.compare(1).implied_annual_return_bps == 790_954  # 7,909.54% a year: still within range
    soon = value_holding(inputs(rounds=(ExpectedRound(day(1), 1_000_000),)))
    tiny = soon.compare(1)
    assert (tiny.implied_annual_return_bps, tiny.implied_return_status) == (None, "above")
    assert MAX_IMPLIED_RETURN_BPS == 10_000_000
    assert "A buyer paying this expects more than 100000% a year." in tiny.describe()
    huge = h.compare(200_000 * USD)
    assert (huge.implied_annual_return_bps, huge.implied_return_status) == (None, "below")
    assert "less than -100% a year" in huge.describe()
    zero = h.compare(0)
    assert zero.implied_return_status == "none"
    assert "No buyer return can be computed" in zero.describe()


def test_describe_holding() -> None:
    cls = ClassScheme.default().classes[1]
    text = value_holding(inputs(claim_class=cls)).describe()
    assert "Claim: $100,000.00 allowed (general class), $72,000.00 paid so far" in text
    assert "2025-09-30 (in 121 days): rate 95%, chance 90%, pays $23,000.00" in text
    assert "Chance of dispute 2%; discount rate 15% a year (compounded daily, ACT/365)" in text
    assert "Value of holding: $31,805.053877 (31.805% of allowed)" in text


def test_public_surface() -> None:
    for name in v.__all__:
        assert hasattr(v, name), name


# ---------------------------------------------------------------------------------------------------------------
# Properties

PPM = st.integers(0, 1_000_000)
ROUND = st.tuples(st.integers(0, 1_100), st.integers(0, 1_500_000), PPM)


@st.composite
def holding_inputs(draw: st.DrawFn) -> HoldingInputs:
    basis = draw(st.sampled_from(RateBasis))
    raw = sorted(draw(st.lists(ROUND, min_size=1, max_size=4)))
    rates = [r for _, r, _ in raw]
    if basis is RateBasis.CUMULATIVE:
        rates = sorted(rates)
    rounds = tuple(ExpectedRound(day(d), rate, p) for (d, _, p), rate in zip(raw, rates, strict=True))
    amount = draw(st.integers(1, 10**14))
    return HoldingInputs(
        allowed_amount=amount,
        rounds=rounds,
        valuation_date=TODAY,
        annual_discount_rate_ppm=draw(st.integers(0, 2_000_000)),
        dispute_probability_ppm=draw(PPM),
        paid_so_far=draw(st.integers(0, amount)),
        rate_basis=basis,
    )


def _with_round(h: HoldingInputs, k: int, **changes: int) -> HoldingInputs:
    rounds = list(h.rounds)
    rounds[k] = dataclasses.replace(rounds[k], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(h, rounds=tuple(rounds))


@settings(max_examples=80, deadline=None)
@given(holding_inputs(), st.data(), st.integers(1, 500_000))
def test_value_monotone_in_rates(h: HoldingInputs, data: st.DataObject, delta: int) -> None:
    k = data.draw(st.integers(0, len(h.rounds) - 1))
    if h.rate_basis is RateBasis.INCREMENTAL:
        raised = _with_round(h, k, rate_ppm=h.rounds[k].rate_ppm + delta)
    else:  # paying more by round k and no less afterwards: shift round k and every later one
        rounds = tuple(
            dataclasses.replace(r, rate_ppm=r.rate_ppm + delta) if i >= k else r for i, r in enumerate(h.rounds)
        )
        raised = dataclasses.replace(h, rounds=rounds)
    low, high = value_holding(h), value_holding(raised)
    assert high.exact_hold_value >= low.exact_hold_value
    assert high.hold_value >= low.hold_value
    assert high.expected_payments >= low.expected_payments


@settings(max_examples=80, deadline=None)
@given(holding_inputs(), st.data())
def test_value_monotone_in_probabilities(h: HoldingInputs, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(h.rounds) - 1))
    p = data.draw(st.integers(h.rounds[k].probability_ppm, 1_000_000))
    assert value_holding(_with_round(h, k, probability_ppm=p)).hold_value >= value_holding(h).hold_value
    q = data.draw(st.integers(h.dispute_probability_ppm, 1_000_000))
    assert value_holding(dataclasses.replace(h, dispute_probability_ppm=q)).hold_value <= value_holding(h).hold_value


@settings(max_examples=80, deadline=None)
@given(holding_inputs(), st.integers(0, 2_000_000))
def test_value_non_increasing_in_discount_rate(h: HoldingInputs, more: int) -> None:
    higher = dataclasses.replace(h, annual_discount_rate_ppm=min(h.annual_discount_rate_ppm + more, 100_000_000))
    base, disc = value_holding(h), value_holding(higher)
    assert disc.exact_hold_value <= base.exact_hold_value
    assert disc.hold_value <= base.hold_value
    assert base.hold_value <= base.expected_payments
    if h.annual_discount_rate_ppm == 0:
        assert base.hold_value == base.expected_payments


@settings(max_examples=40, deadline=None)
@given(holding_inputs(), st.integers(1, 10**14), st.integers(1, 10**14))
def test_implied_return_non_increasing_in_price(h: HoldingInputs, p1: int, p2: int) -> None:
    low, high = sorted((p1, p2))
    hv = value_holding(h)
    a, b = hv.compare(low), hv.compare(high)
    order = {"above": 2, "exact": 1, "below": 0}
    if "none" in (a.implied_return_status, b.implied_return_status):
        assert a.implied_return_status == b.implied_return_status == "none"
        return
    assert order[a.implied_return_status] >= order[b.implied_return_status]
    if a.implied_return_status == b.implied_return_status == "exact":
        assert a.implied_annual_return_bps is not None
        assert b.implied_annual_return_bps is not None
        assert a.implied_annual_return_bps >= b.implied_annual_return_bps
        flows = [(d, cf) for d, cf in v._cash_flows(h) if cf > 0]
        rate = b.implied_annual_return_bps
        assert worth(flows, rate) >= high > worth(flows, rate + 1)
