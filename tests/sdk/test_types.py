"""Tests for pyclaims.types: amounts, display, claim references, enums, class schemes."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from pyclaims import types as t
from pyclaims.types import (
    DEFAULT_CONVENIENCE_THRESHOLD,
    UINT96_MAX,
    AmountFormatError,
    ClaimClass,
    ClaimStatus,
    ClassScheme,
    ClassSchemeError,
    Side,
    base_units_to_usd,
    claim_ref,
    format_usd,
    usd_to_base_units,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("1", 1_000_000),
        ("1234.56", 1_234_560_000),
        ("0.000001", 1),
        ("50000", 50_000_000_000),
        ("007.5", 7_500_000),
        ("1.000000", 1_000_000),
        (str(UINT96_MAX // 10**6) + "." + f"{UINT96_MAX % 10**6:06d}", UINT96_MAX),
    ],
)
def test_usd_to_base_units_accepts(text: str, expected: int) -> None:
    assert usd_to_base_units(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" 1.00", "leading or trailing whitespace"),
        ("1.00\n", "leading or trailing whitespace"),
        ("-5", "negative amount"),
        ("-0.01", "negative amount"),
        ("+5", "a sign is not accepted"),
        ("$5", "currency symbols"),
        ("5 USD", "currency symbols"),
        ("1,234.00", "thousands separators"),
        ("1_234", "thousands separators"),
        ("1e5", "exponent notation"),
        ("1.5E+3", "exponent notation"),
        ("NaN", "NaN and infinity"),
        ("-Infinity", "NaN and infinity"),
        (".5", "digit before the decimal point"),
        ("5.", "at least one digit after"),
        ("1.0000001", "has 7 decimal places; at most 6"),
        ("1.0000000", "has 7 decimal places; at most 6"),
        ("١٢٣", "non-ASCII"),
        ("0x10", "not a decimal number"),
        (str(UINT96_MAX // 10**6 + 1), "exceeds the largest claim amount"),
    ],
)
def test_usd_to_base_units_rejects(text: str, reason: str) -> None:
    with pytest.raises(AmountFormatError) as info:
        usd_to_base_units(text)
    assert reason in info.value.reason
    assert info.value.text == text
    assert isinstance(info.value, ValueError)


@given(st.integers(min_value=0, max_value=UINT96_MAX))
def test_base_units_round_trip(value: int) -> None:
    text = base_units_to_usd(value)
    assert usd_to_base_units(text) == value
    whole, frac = text.split(".")
    assert 2 <= len(frac) <= 6
    assert whole == str(value // 10**6)


@pytest.mark.parametrize(
    ("value", "plain", "display"),
    [
        (0, "0.00", "$0.00"),
        (1, "0.000001", "$0.000001"),
        (1_500_000, "1.50", "$1.50"),
        (1_234_567_890_123, "1234567.890123", "$1,234,567.890123"),
        (50_000_000_000, "50000.00", "$50,000.00"),
        (-5, "-0.000005", "-$0.000005"),
        (-1_234_560_000, "-1234.56", "-$1,234.56"),
    ],
)
def test_format(value: int, plain: str, display: str) -> None:
    assert base_units_to_usd(value) == plain
    assert format_usd(value) == display


def test_claim_ref_is_keccak_of_estate_colon_number() -> None:
    ref = claim_ref("1", "FTX-0001")
    assert ref == bytes(keccak(b"1:FTX-0001"))
    assert len(ref) == 32
    assert claim_ref("1", "FTX-0001") != claim_ref("2", "FTX-0001")
    assert claim_ref("1", "ü") == bytes(keccak("1:ü".encode()))
    # a fixed vector, so that a change of the rule cannot go unnoticed
    assert ref.hex() == bytes(keccak(text="1:FTX-0001")).hex()


@pytest.mark.parametrize(("estate", "number"), [("", "1"), ("1", "")])
def test_claim_ref_rejects_empty(estate: str, number: str) -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        claim_ref(estate, number)


def test_enums_mirror_solidity() -> None:
    assert [(s.name, int(s)) for s in ClaimStatus] == [("Allowed", 0), ("Disputed", 1), ("Expunged", 2)]
    assert [(s.name, int(s)) for s in Side] == [("Ask", 0), ("Bid", 1)]


def test_default_scheme_classifies_by_threshold() -> None:
    scheme = ClassScheme.default()
    assert scheme.convenience_threshold == DEFAULT_CONVENIENCE_THRESHOLD == 50_000_000_000
    conv, gen = scheme.classes
    assert (conv.class_id, conv.estate_id, conv.name) == (1, 1, "convenience")
    assert (gen.class_id, gen.estate_id, gen.name) == (2, 1, "general")
    assert scheme.classify(1, 49_999_999_999) == conv
    assert scheme.classify(1, 50_000_000_000) == gen
    assert scheme.classify(2, 1) is None
    assert scheme.by_id(2) == gen
    assert scheme.by_id(3) is None
    assert scheme.by_name(1, "GENERAL") == gen
    assert scheme.by_name(2, "general") is None
    assert scheme.estate_ids == frozenset({1})


def test_default_scheme_many_estates_and_threshold() -> None:
    scheme = ClassScheme.default((7, 9), convenience_threshold=10_000_000)
    assert [(c.class_id, c.estate_id, c.name) for c in scheme.classes] == [
        (1, 7, "convenience"),
        (2, 7, "general"),
        (3, 9, "convenience"),
        (4, 9, "general"),
    ]
    assert scheme.classify(9, 9_999_999) == ClaimClass(3, 9, "convenience")
    assert scheme.classify(9, 10_000_000) == ClaimClass(4, 9, "general")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ClaimClass(0, 1, "general"), "class id must be in"),
        (lambda: ClaimClass(2**32, 1, "general"), "class id must be in"),
        (lambda: ClaimClass(1, 0, "general"), "estate id must be in"),
        (lambda: ClaimClass(1, 1, "General"), "must be lowercase"),
        (lambda: ClaimClass(1, 1, "7"), "must be lowercase"),
        (lambda: ClassScheme(()), "at least one class"),
        (lambda: ClassScheme((ClaimClass(1, 1, "a"), ClaimClass(1, 2, "b"))), "class id 1 is defined twice"),
        (lambda: ClassScheme((ClaimClass(1, 1, "a"), ClaimClass(2, 1, "a"))), "defined twice for estate 1"),
        (lambda: ClassScheme((ClaimClass(1, 1, "a"),), convenience_threshold=t.BaseUnits(0)), "positive"),
    ],
)
def test_class_scheme_rejects(make: object, message: str) -> None:
    assert callable(make)
    with pytest.raises(ClassSchemeError, match=message):
        make()


def test_public_surface() -> None:
    for name in t.__all__:
        assert hasattr(t, name), name
    assert sorted(t.__all__) == sorted(set(t.__all__))
