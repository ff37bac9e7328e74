"""Tests for pyclaims.demo_data: determinism, realism, planted bad rows that the validator rejects exactly."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from pyclaims import demo_data as dd
from pyclaims.demo_data import DEFAULT_RESTRICTED_COUNTRIES, DemoSchedule, generate_schedule
from pyclaims.schedule import parse_csv, parse_json
from pyclaims.types import DEFAULT_CONVENIENCE_THRESHOLD, ClaimStatus

WALLETS = [Account.from_key(i.to_bytes(32, "big")).address for i in range(1, 41)]


@pytest.fixture(scope="module")
def demo() -> DemoSchedule:
    return generate_schedule(WALLETS)


def assert_validator_agrees(d: DemoSchedule) -> None:
    for report, row_of in (
        (parse_csv(d.csv, classes=d.classes, restricted_countries=d.restricted_countries), "csv_row"),
        (parse_json(d.json, classes=d.classes, restricted_countries=d.restricted_countries), "json_row"),
    ):
        assert report.accepted == d.rows
        if row_of == "csv_row":
            assert [r.row for r in report.accepted] == [r.row for r in d.rows]
        assert sorted((e.row, e.field) for e in report.rejected) == sorted(
            (getattr(p, row_of), p.field) for p in d.planted
        )
        assert report.rows_total == len(d.rows) + len(d.planted)


def test_validator_accepts_the_rows_and_rejects_exactly_the_planted(demo: DemoSchedule) -> None:
    assert len(demo.rows) == 1_000
    assert_validator_agrees(demo)


def test_every_bad_input_kind_is_planted(demo: DemoSchedule) -> None:
    kinds = {p.kind for p in demo.planted}
    assert kinds == {
        "duplicate claim number",
        "negative amount",
        "zero amount",
        "7 decimal places (fraction of a base unit)",
        "exponent notation",
        "thousands separator",
        "amount past uint96",
        "bad EIP-55 checksum",
        "zero address",
        "malformed address",
        "country code 0",
        "short evidence hash",
        "wallet already belongs to another entity",
    }
    report = parse_csv(demo.csv, classes=demo.classes, restricted_countries=demo.restricted_countries)
    reasons = {e.row: e.reason for e in report.rejected}
    by_kind = {p.kind: reasons[p.csv_row] for p in demo.planted}
    assert by_kind["negative amount"] == "negative amount"
    assert by_kind["zero address"] == "is the zero address, which cannot hold a claim"
    assert by_kind["bad EIP-55 checksum"].startswith("fails its EIP-55 checksum")
    assert by_kind["duplicate claim number"].startswith("duplicate claim number 'FTX-")


def test_deterministic(demo: DemoSchedule) -> None:
    again = generate_schedule(WALLETS)
    assert again.csv == demo.csv
    assert again.json == demo.json
    assert again == demo
    other = generate_schedule(WALLETS, seed=7)
    assert other.csv != demo.csv


def test_realistic_mix(demo: DemoSchedule) -> None:
    amounts = [r.allowed_amount for r in demo.rows]
    assert all(a > 0 and a % 10_000 == 0 for a in amounts)  # whole cents
    assert max(amounts) > 100 * statistics.median(amounts)  # heavy tail
    classes = Counter(r.claim_class.name for r in demo.rows)
    assert 600 <= classes["convenience"] <= 900
    assert classes["general"] >= 100
    for r in demo.rows:
        expected = "convenience" if r.allowed_amount < DEFAULT_CONVENIENCE_THRESHOLD else "general"
        assert r.claim_class.name == expected
    restricted = [r for r in demo.rows if r.country in DEFAULT_RESTRICTED_COUNTRIES]
    assert 40 <= len(restricted) <= 120  # about 8%
    assert all(r.status == ClaimStatus.Disputed and r.status_reason.startswith("restricted") for r in restricted)
    explicit = [r for r in demo.rows if r.status == ClaimStatus.Disputed and not r.status_reason]
    assert 0 < len(explicit) < 40  # about 1% disputed in the schedule itself
    assert len({r.claim_number for r in demo.rows}) == len(demo.rows)


def test_identities(demo: DemoSchedule) -> None:
    assert sorted(i.wallet for i in demo.identities) == sorted(WALLETS)
    per_entity = Counter(i.entity_id for i in demo.identities)
    assert max(per_entity.values()) >= 2  # some entities hold several wallets
    countries: dict[int, set[int]] = {i.entity_id: set() for i in demo.identities}
    for i in demo.identities:
        countries[i.entity_id].add(i.country)
    assert all(len(c) == 1 for c in countries.values())
    assert any(i.country in DEFAULT_RESTRICTED_COUNTRIES for i in demo.identities)
    identity = {i.wallet: i for i in demo.identities}
    for r in demo.rows:
        assert (identity[r.creditor_wallet].entity_id, identity[r.creditor_wallet].country) == (
            r.entity_id,
            r.country,
        )


def test_csv_leaves_classification_to_the_validator(demo: DemoSchedule) -> None:
    header = demo.csv.decode().split("\n")[0]
    assert header.split(",")[6:8] == ["class", "status"]
    assert b"restricted" not in demo.csv
    assert b",disputed," in demo.csv  # the few scheduled disputes


def test_without_bad_rows_the_report_is_clean() -> None:
    d = generate_schedule(WALLETS[:5], n=50, plant_bad_rows=False)
    assert d.planted == ()
    report = parse_csv(d.csv, classes=d.classes, restricted_countries=d.restricted_countries)
    assert report.ok
    assert report.accepted == d.rows
    assert [r.row for r in d.rows] == list(range(2, 52))


def test_estate_and_no_restricted_share() -> None:
    d = generate_schedule(WALLETS[:1], n=20, estate_id=9, restricted_share_ppm=0)
    assert {r.estate_id for r in d.rows} == {9}
    assert all(r.country not in DEFAULT_RESTRICTED_COUNTRIES for r in d.rows)
    assert_validator_agrees(d)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 12), st.integers(1, 60), st.integers(0, 2**32), st.integers(0, 1_000_000))
def test_any_configuration_is_validated_exactly(wallets: int, n: int, seed: int, share: int) -> None:
    d = generate_schedule(WALLETS[:wallets], n=n, seed=seed, restricted_share_ppm=share)
    assert len(d.rows) == n
    assert_validator_agrees(d)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"wallets": []}, "at least one wallet"),
        ({"wallets": [WALLETS[0], WALLETS[0]]}, "distinct"),
        ({"wallets": [WALLETS[0].lower(), WALLETS[1]]}, "EIP-55"),
        ({"wallets": ["0x" + "0" * 40, WALLETS[1]]}, "non-zero"),
        ({"wallets": WALLETS[:1]}, "at least 2 wallets"),
        ({"wallets": WALLETS, "n": 0}, "n must be at least 1"),
        ({"wallets": WALLETS, "restricted_share_ppm": 1_000_001}, "restricted_share_ppm"),
        ({"wallets": WALLETS, "restricted_countries": frozenset()}, "at least one restricted country"),
    ],
)
def test_arguments_are_checked(kwargs: dict[str, object], message: str) -> None:
    wallets = kwargs.pop("wallets")
    with pytest.raises(ValueError, match=message):
        generate_schedule(wallets, **kwargs)  # type: ignore[arg-type]


def test_public_surface() -> None:
    for name in dd.__all__:
        assert hasattr(dd, name), name
