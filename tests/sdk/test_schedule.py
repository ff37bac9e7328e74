"""Tests for pyclaims.schedule: every bad-input kind, CSV and JSON specifics, round trips and mutations."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pyclaims import schedule as sched
from pyclaims.schedule import (
    COLUMNS,
    REQUIRED_COLUMNS,
    RowError,
    ScheduleError,
    ScheduleRejectedError,
    ValidationReport,
    parse_csv,
    parse_json,
    read_schedule,
    render_csv,
    render_csv_records,
    render_json,
    render_json_records,
)
from pyclaims.types import (
    UINT64_MAX,
    UINT96_MAX,
    ClaimClass,
    ClaimStatus,
    ClassScheme,
    claim_ref,
    usd_to_base_units,
)

REPO = Path(__file__).resolve().parents[2]
WALLETS = [Account.from_key(i.to_bytes(32, "big")).address for i in range(1, 9)]
W1, W2, W3 = WALLETS[0], WALLETS[1], WALLETS[2]
EVIDENCE = "0x" + "ab" * 32


def rec(**overrides: str) -> dict[str, str]:
    """A valid CSV record (class and status empty = derived/default), with overrides."""
    base = {
        "claim_number": "FTX-1",
        "estate": "1",
        "creditor_wallet": W1,
        "entity_id": "1001",
        "country": "392",
        "allowed_amount_usd": "1234.56",
        "class": "",
        "status": "",
        "evidence_hash": EVIDENCE,
    }
    base.update(overrides)
    return base


def csv_of(*records: Mapping[str, str]) -> bytes:
    return render_csv_records(records)


def only_error(report: ValidationReport) -> RowError:
    assert len(report.rejected) == 1, report.rejected
    return report.rejected[0]


# ------------------------------------------------------------------------------------------------------------
# Happy path


def test_parse_csv_valid_rows() -> None:
    data = csv_of(
        rec(),
        rec(claim_number="FTX-2", allowed_amount_usd="50000", creditor_wallet=W2, entity_id="1002", country="036"),
        rec(claim_number="FTX-3", allowed_amount_usd="49999.999999", status="Disputed"),
    )
    report = parse_csv(data)
    assert report.ok
    assert report.source_format == "csv"
    assert report.rows_total == 3
    assert report.accepted_count == 3
    assert report.rejected_count == report.error_count == 0
    assert report.digest == hashlib.sha256(data).hexdigest()
    first, second, third = report.accepted
    assert [r.row for r in report.accepted] == [2, 3, 4]
    assert first.claim_number == "FTX-1"
    assert first.estate_id == 1
    assert first.creditor_wallet == W1
    assert first.entity_id == 1001
    assert first.country == 392
    assert first.allowed_amount == 1_234_560_000
    assert first.claim_class == ClaimClass(1, 1, "convenience")
    assert first.status == ClaimStatus.Allowed
    assert first.status_reason == ""
    assert first.evidence_hash == bytes.fromhex("ab" * 32)
    assert first.claim_ref == claim_ref("1", "FTX-1")
    assert second.country == 36
    assert second.claim_class.name == "general"  # $50,000 is not below the threshold
    assert second.class_id == 2
    assert third.claim_class.name == "convenience"
    assert third.status == ClaimStatus.Disputed
    assert report.total_allowed == 1_234_560_000 + 50_000_000_000 + 49_999_999_999
    assert report.disputed_count == 1


def test_optional_columns_may_be_left_out() -> None:
    columns = [c for c in COLUMNS if c not in {"class", "status"}]
    report = parse_csv(render_csv_records([rec()], columns))
    assert report.ok
    assert report.accepted[0].status == ClaimStatus.Allowed
    assert report.accepted[0].claim_class.name == "convenience"


def test_columns_in_any_order() -> None:
    columns = list(reversed(COLUMNS))
    report = parse_csv(render_csv_records([rec()], columns))
    assert report.ok
    assert report.accepted == parse_csv(csv_of(rec())).accepted


def test_threshold_is_configurable() -> None:
    scheme = ClassScheme.default(convenience_threshold=1_000_000_000)
    report = parse_csv(csv_of(rec(allowed_amount_usd="999.999999"), rec(claim_number="2")), classes=scheme)
    assert [r.claim_class.name for r in report.accepted] == ["convenience", "general"]


def test_explicit_class_wins_over_threshold() -> None:
    report = parse_csv(
        csv_of(
            rec(allowed_amount_usd="80000", **{"class": "convenience"}),
            rec(claim_number="2", **{"class": "2"}),
            rec(claim_number="3", **{"class": "GENERAL"}),
        )
    )
    assert [r.class_id for r in report.accepted] == [1, 2, 2]


def test_restricted_country_marks_disputed_with_reason() -> None:
    report = parse_csv(
        csv_of(
            rec(country="156"),
            rec(claim_number="2", creditor_wallet=W2, entity_id="7", country="840"),
            rec(claim_number="3", country="156", status="expunged"),
            rec(claim_number="4", country="156", status="disputed"),
        ),
        restricted_countries={156, 643},
    )
    a, b, c, d = report.accepted
    assert (a.status, a.status_reason) == (ClaimStatus.Disputed, "restricted jurisdiction (country 156)")
    assert (b.status, b.status_reason) == (ClaimStatus.Allowed, "")
    assert (c.status, c.status_reason) == (ClaimStatus.Expunged, "")  # expunged stays expunged
    assert (d.status, d.status_reason) == (ClaimStatus.Disputed, "restricted jurisdiction (country 156)")
    assert report.restricted_countries == frozenset({156, 643})


def test_restricted_countries_argument_is_checked() -> None:
    with pytest.raises(ValueError, match="restricted country 1000"):
        parse_csv(csv_of(rec()), restricted_countries={1000})


def test_lowercase_wallet_accepted_and_checksummed_unless_required() -> None:
    report = parse_csv(csv_of(rec(creditor_wallet=W1.lower())))
    assert report.accepted[0].creditor_wallet == W1
    strict = parse_csv(csv_of(rec(creditor_wallet=W1.lower())), require_checksum=True)
    err = only_error(strict)
    assert (err.row, err.field) == (2, "creditor_wallet")
    assert "all lowercase" in err.reason
    assert parse_csv(csv_of(rec()), require_checksum=True).ok


def test_evidence_hash_any_case() -> None:
    report = parse_csv(csv_of(rec(evidence_hash="0x" + "AB" * 32)))
    assert report.accepted[0].evidence_hash == bytes.fromhex("ab" * 32)


def test_same_entity_may_hold_several_wallets() -> None:
    report = parse_csv(csv_of(rec(), rec(claim_number="2", creditor_wallet=W2)))
    assert report.ok


def test_same_number_in_another_estate_is_another_claim() -> None:
    scheme = ClassScheme.default((1, 2))
    report = parse_csv(csv_of(rec(), rec(estate="2")), classes=scheme)
    assert report.ok
    assert [r.class_id for r in report.accepted] == [1, 3]
    assert report.accepted[0].claim_ref != report.accepted[1].claim_ref


def test_estate_with_leading_zero_is_canonical() -> None:
    report = parse_csv(csv_of(rec(estate="01")))
    assert report.accepted[0].estate_id == 1
    assert report.accepted[0].claim_ref == claim_ref("1", "FTX-1")


# ------------------------------------------------------------------------------------------------------------
# Every rejection kind, one field at a time (CSV)

ZERO = "0x" + "0" * 40
FLIPPED = "0x" + next(W1[2:i] + W1[i].swapcase() + W1[i + 1 :] for i in range(2, 42) if W1[i].isalpha())

FIELD_CASES = [
    # claim number
    ("claim_number", "", "is empty"),
    ("claim_number", " FTX-9", "leading or trailing whitespace"),
    ("claim_number", "X" * 65, "65 characters long; at most 64"),
    ("claim_number", "FTX-é", "printable ASCII characters only"),
    ("claim_number", "FTX\t9", "printable ASCII characters only"),
    ("claim_number", "=SUM(A1)", "spreadsheets run as a formula"),
    ("claim_number", "-1", "spreadsheets run as a formula"),
    # estate
    ("estate", "0", "must be in 1..4294967295, not 0"),
    ("estate", "4294967296", "must be in 1..4294967295"),
    ("estate", "-1", "must be a positive estate id, not negative"),
    ("estate", "one", "must be a whole estate id written with the digits 0-9"),
    ("estate", "2", "estate 2 has no classes in the class scheme"),
    # wallet
    ("creditor_wallet", "", "is empty"),
    ("creditor_wallet", ZERO, "is the zero address"),
    ("creditor_wallet", FLIPPED, "fails its EIP-55 checksum"),
    ("creditor_wallet", "0x" + W1[2:].upper(), "fails its EIP-55 checksum"),
    ("creditor_wallet", W1[2:], "must start with 0x"),
    ("creditor_wallet", "0X" + W1[2:], "must start with 0x"),
    ("creditor_wallet", W1[:-1], "exactly 40 hex digits"),
    ("creditor_wallet", W1 + "0", "exactly 40 hex digits"),
    ("creditor_wallet", "0x" + "g" * 40, "exactly 40 hex digits"),
    # entity
    ("entity_id", "0", "must be in 1..18446744073709551615, not 0"),
    ("entity_id", str(2**64), "must be in 1..18446744073709551615"),
    ("entity_id", "-5", "not negative"),
    ("entity_id", "1.0", "whole entity id"),
    ("entity_id", "1e3", "whole entity id"),
    ("entity_id", "", "is empty"),
    # country
    ("country", "0", "must be in 1..999, not 0"),
    ("country", "1000", "at most 3 digits"),
    ("country", "0036", "at most 3 digits"),
    ("country", "CN", "whole ISO 3166-1 numeric code"),
    ("country", "-4", "not negative"),
    # amount
    ("allowed_amount_usd", "0", "is zero"),
    ("allowed_amount_usd", "0.000000", "is zero"),
    ("allowed_amount_usd", "-1500.00", "negative amount"),
    ("allowed_amount_usd", "1234.5678901", "has 7 decimal places; at most 6"),
    ("allowed_amount_usd", "0.0000001", "has 7 decimal places; at most 6"),
    ("allowed_amount_usd", "80000000000000000000000", "exceeds the largest claim amount"),
    ("allowed_amount_usd", "1e5", "exponent notation"),
    ("allowed_amount_usd", "1.5E3", "exponent notation"),
    ("allowed_amount_usd", "1,250.00", "thousands separators"),
    ("allowed_amount_usd", "$12.00", "currency symbols"),
    ("allowed_amount_usd", "NaN", "NaN and infinity"),
    ("allowed_amount_usd", "inf", "NaN and infinity"),
    ("allowed_amount_usd", "", "empty"),
    # class
    ("class", "priority", "unknown class 'priority' for estate 1 (known: convenience, general)"),
    ("class", "3", "class id 3 is not in the class scheme"),
    ("class", " general", "leading or trailing whitespace"),
    # status
    ("status", "pending", "must be allowed, disputed or expunged, not 'pending'"),
    ("status", "0", "must be allowed, disputed or expunged"),
    # evidence
    ("evidence_hash", "", "is empty"),
    ("evidence_hash", "0x1234", "exactly 64 hex digits"),
    ("evidence_hash", "ab" * 32, "must start with 0x"),
    ("evidence_hash", "0x" + "zz" * 32, "exactly 64 hex digits"),
    ("evidence_hash", "0x" + "00" * 32, "is all zeros"),
]


@pytest.mark.parametrize(("field", "value", "reason"), FIELD_CASES)
def test_csv_rejects_field(field: str, value: str, reason: str) -> None:
    data = csv_of(
        rec(claim_number="GOOD-1"),
        rec(claim_number="BAD", **{field: value}) if field != "claim_number" else rec(claim_number=value),
        rec(claim_number="GOOD-2"),
    )
    report = parse_csv(data)
    err = only_error(report)
    assert (err.row, err.field) == (3, field)
    assert reason in err.reason
    assert [r.claim_number for r in report.accepted] == ["GOOD-1", "GOOD-2"]
    assert report.rows_total == 3
    assert report.rejected_count == 1
    assert report.rejected_rows == (3,)
    assert not report.ok


def test_class_of_another_estate_is_rejected() -> None:
    scheme = ClassScheme.default((1, 2))
    err = only_error(parse_csv(csv_of(rec(**{"class": "3"})), classes=scheme))
    assert (err.row, err.field, err.reason) == (2, "class", "class id 3 belongs to estate 2, not 1")


def test_derived_class_missing_in_estate() -> None:
    scheme = ClassScheme((ClaimClass(5, 1, "convenience"),))
    report = parse_csv(csv_of(rec(), rec(claim_number="2", allowed_amount_usd="60000")), classes=scheme)
    err = only_error(report)
    assert (err.row, err.field) == (3, "class")
    assert err.reason == "no class given and estate 1 has no 'general' class"
    assert report.accepted[0].class_id == 5


def test_several_errors_in_one_row_are_all_reported() -> None:
    report = parse_csv(csv_of(rec(allowed_amount_usd="-1", creditor_wallet=ZERO, country="0")))
    assert {(e.row, e.field) for e in report.rejected} == {
        (2, "allowed_amount_usd"),
        (2, "creditor_wallet"),
        (2, "country"),
    }
    assert report.rejected_count == 1
    assert report.error_count == 3
    assert report.errors_for(2) == report.rejected


# ------------------------------------------------------------------------------------------------------------
# Cross-row rules


def test_duplicate_claim_number_rejects_later_rows_naming_the_first() -> None:
    report = parse_csv(csv_of(rec(), rec(claim_number="2"), rec(), rec()))
    assert [r.row for r in report.accepted] == [2, 3]
    assert [(e.row, e.field, e.reason) for e in report.rejected] == [
        (4, "claim_number", "duplicate claim number 'FTX-1' in estate 1 (first in row 2)"),
        (5, "claim_number", "duplicate claim number 'FTX-1' in estate 1 (first in row 2)"),
    ]


def test_duplicate_of_an_otherwise_bad_row_is_still_a_duplicate() -> None:
    report = parse_csv(csv_of(rec(allowed_amount_usd="-1"), rec()))
    assert [(e.row, e.field) for e in report.rejected] == [(2, "allowed_amount_usd"), (3, "claim_number")]
    assert report.accepted == ()


def test_wallet_with_conflicting_entity_or_country() -> None:
    report = parse_csv(
        csv_of(
            rec(),
            rec(claim_number="2", entity_id="2002"),
            rec(claim_number="3", country="826"),
            rec(claim_number="4"),
        )
    )
    assert [r.row for r in report.accepted] == [2, 5]
    assert [(e.row, e.field, e.reason) for e in report.rejected] == [
        (3, "creditor_wallet", f"wallet {W1} belongs to entity 1001 (row 2), not 2002"),
        (4, "country", f"wallet {W1} has country 392 (row 2), not 826"),
    ]


def test_lowercase_and_checksummed_forms_are_the_same_wallet() -> None:
    report = parse_csv(csv_of(rec(), rec(claim_number="2", creditor_wallet=W1.lower(), entity_id="9")))
    err = only_error(report)
    assert (err.row, err.field) == (3, "creditor_wallet")


# ------------------------------------------------------------------------------------------------------------
# CSV file-level specifics


def test_utf8_bom_is_accepted() -> None:
    plain = csv_of(rec(), rec(claim_number="2"))
    with_bom = b"\xef\xbb\xbf" + plain
    report = parse_csv(with_bom)
    assert report.ok
    assert report.accepted == parse_csv(plain).accepted
    assert report.digest == hashlib.sha256(with_bom).hexdigest() != parse_csv(plain).digest


def test_bom_inside_a_value_is_refused() -> None:
    data = csv_of(rec(claim_number="\ufeffFTX-1"))
    err = only_error(parse_csv(data))
    assert (err.row, err.field) == (2, "claim_number")


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [(b"\xff\xfe", "UTF-16 or UTF-32"), (b"\xfe\xff", "UTF-16 or UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32")],
)
def test_utf16_and_utf32_are_rejected(prefix: bytes, reason: str) -> None:
    report = parse_csv(prefix + csv_of(rec()))
    err = only_error(report)
    assert (err.row, err.field) == (0, "(file)")
    assert reason in err.reason
    assert report.accepted == ()


def test_non_utf8_is_rejected() -> None:
    data = csv_of(rec()).replace(b"FTX-1", b"FTX-\xe91")
    err = only_error(parse_csv(data))
    assert (err.row, err.field) == (0, "(file)")
    assert "is not UTF-8: byte 0xe9 at offset" in err.reason


@pytest.mark.parametrize("newline", [b"\r\n", b"\r", b"\n"])
def test_line_endings(newline: bytes) -> None:
    lf = csv_of(rec(), rec(claim_number="2"), rec(claim_number="3", allowed_amount_usd="-1"))
    data = lf.replace(b"\n", newline)
    report = parse_csv(data)
    assert report.accepted == parse_csv(lf).accepted
    assert [r.row for r in report.accepted] == [2, 3]
    assert [(e.row, e.field) for e in report.rejected] == [(4, "allowed_amount_usd")]
    assert report.accepted[1].claim_number == "2"  # no stray \r in any value
    assert report.accepted[1].evidence_hash == bytes.fromhex("ab" * 32)


def test_mixed_line_endings_and_blank_lines() -> None:
    header, r1, r2 = csv_of(rec(), rec(claim_number="2")).split(b"\n")[:3]
    data = header + b"\r\n\r\n" + r1 + b"\n\n\n" + r2 + b"\r\n,,,,,,,,\r\n"
    report = parse_csv(data)
    assert report.ok
    assert report.rows_total == 2
    assert [r.row for r in report.accepted] == [3, 6]  # file lines, as an editor shows them


def test_row_numbers_follow_lines_across_quoted_newlines() -> None:
    data = csv_of(rec(claim_number="A\nB"), rec(claim_number="2"), rec(claim_number="3", country="0"))
    report = parse_csv(data)
    assert [(e.row, e.field) for e in report.rejected] == [(2, "claim_number"), (5, "country")]
    assert [r.row for r in report.accepted] == [4]


def test_quoted_commas_are_values() -> None:
    report = parse_csv(csv_of(rec(claim_number="A,1")))
    assert report.accepted[0].claim_number == "A,1"


def test_unknown_column_rejects_file() -> None:
    data = render_csv_records([{**rec(), "notes": "x"}], [*COLUMNS, "notes"])
    report = parse_csv(data)
    err = only_error(report)
    assert (err.row, err.field) == (0, "notes")
    assert err.reason.startswith("unknown column (the columns are: claim_number, estate,")
    assert report.accepted == ()
    assert report.rows_total == 1
    assert report.rejected_count == 1


def test_missing_columns_reject_file() -> None:
    columns = [c for c in COLUMNS if c not in {"entity_id", "evidence_hash"}]
    report = parse_csv(render_csv_records([rec()], columns))
    assert [(e.row, e.field, e.reason) for e in report.rejected] == [
        (0, "entity_id", "required column is missing from the header"),
        (0, "evidence_hash", "required column is missing from the header"),
    ]
    assert report.accepted == ()


def test_duplicate_and_empty_and_case_changed_columns() -> None:
    header = ",".join([*COLUMNS, "estate", "", "Country"])
    report = parse_csv((header + "\n").encode())
    assert [(e.field, e.reason.split(" (")[0]) for e in report.rejected] == [
        ("estate", "column appears twice in the header"),
        ("(empty)", "unknown column"),
        ("Country", "unknown column"),
    ]


def test_wrong_cell_count() -> None:
    good = csv_of(rec(), rec(claim_number="2"))
    lines = good.split(b"\n")
    lines[1] += b",extra"
    report = parse_csv(b"\n".join(lines))
    err = only_error(report)
    assert (err.row, err.field, err.reason) == (2, "(record)", "has 10 cells; the header has 9")
    assert [r.claim_number for r in report.accepted] == ["2"]


def test_csv_syntax_error_rejects_file() -> None:
    data = csv_of(rec()) + b'FTX-2,1,"unterminated\n'
    report = parse_csv(data)
    err = report.rejected[-1]
    assert (err.row, err.field) == (0, "(file)")
    assert "CSV syntax error on line" in err.reason
    assert report.accepted == ()


def test_stray_quote_is_a_syntax_error() -> None:
    data = csv_of(rec()).replace(b"FTX-1", b'"FTX-1"x')
    err = only_error(parse_csv(data))
    assert (err.row, err.field) == (0, "(file)")
    assert "CSV syntax error on line 2" in err.reason


def test_empty_and_header_only() -> None:
    err = only_error(parse_csv(b""))
    assert (err.row, err.field, err.reason) == (0, "(file)", "the file is empty: no header row")
    assert only_error(parse_csv(b"\n\r\n")).reason == "the file is empty: no header row"
    header_only = parse_csv(render_csv_records([]))
    assert header_only.ok
    assert header_only.rows_total == 0


# ------------------------------------------------------------------------------------------------------------
# JSON specifics


def jrec(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {k: v for k, v in rec().items() if v != ""}
    base.update(overrides)
    return base


def json_of(*records: Mapping[str, Any]) -> bytes:
    return json.dumps(list(records)).encode()


def test_parse_json_valid() -> None:
    data = json_of(
        jrec(),
        jrec(claim_number="2", estate=1, entity_id=1001, country=392, status=None, **{"class": None}),
        jrec(claim_number="3", entity_id=str(UINT64_MAX), creditor_wallet=W2, **{"class": 2}),
    )
    report = parse_json(data)
    assert report.ok, report.rejected
    assert report.source_format == "json"
    assert [r.row for r in report.accepted] == [1, 2, 3]
    assert report.accepted[0] == dataclasses.replace(report.accepted[1], claim_number="FTX-1")
    assert report.accepted[2].entity_id == UINT64_MAX
    assert report.accepted[2].class_id == 2
    assert report.digest == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("field", "literal", "reason"),
    [
        ("allowed_amount_usd", "1234.56", 'must be a JSON string such as "1234.56", not a JSON number (1234.56)'),
        ("allowed_amount_usd", "100", "not a JSON number (100)"),
        ("allowed_amount_usd", "1e5", "not a JSON number (1e5)"),
        ("allowed_amount_usd", "12345678901234567890", "not a JSON number (12345678901234567890)"),
        ("allowed_amount_usd", "NaN", "not a JSON number (NaN)"),
        ("entity_id", "9007199254740992", "is past 2^53 and loses precision in many JSON parsers"),
        ("entity_id", "18446744073709551615", "is past 2^53"),
        ("entity_id", "1001.0", "must be a whole number, not a JSON number (1001.0)"),
        ("entity_id", "1e3", "must be a whole number, not a JSON number (1e3)"),
        ("entity_id", "-1", "not negative"),
        ("country", "392.0", "must be a whole number"),
        ("country", "Infinity", "must be a whole number, not a JSON number (Infinity)"),
        ("estate", "true", "must be a string, not true"),
        ("claim_number", "12345", "must be a JSON string (claim numbers are text"),
        ("claim_number", "null", "must be a string, not null"),
        ("creditor_wallet", "[]", "must be a string, not a JSON array"),
        ("evidence_hash", "{}", "must be a string, not a JSON object"),
        ("status", "1", "must be a JSON string, not a JSON number (1)"),
        ("class", "2.0", "must be a whole number"),
    ],
)
def test_json_rejects_value(field: str, literal: str, reason: str) -> None:
    good = json.dumps(jrec(claim_number="GOOD"))
    bad = jrec(claim_number="BAD")
    bad[field] = "__PLACEHOLDER__"
    bad_text = json.dumps(bad).replace('"__PLACEHOLDER__"', literal)
    report = parse_json(f"[{good}, {bad_text}]".encode())
    err = only_error(report)
    assert (err.row, err.field) == (2, field)
    assert reason in err.reason
    assert [r.claim_number for r in report.accepted] == ["GOOD"]


def test_json_integer_at_the_safe_limit_is_accepted() -> None:
    text = json.dumps([jrec(entity_id="X")]).replace('"X"', str(2**53 - 1))
    report = parse_json(text.encode())
    assert report.accepted[0].entity_id == 2**53 - 1


def test_json_key_problems() -> None:
    dup = '{"claim_number": "A", "claim_number": "B", ' + json.dumps(jrec())[1:].replace(
        '"claim_number": "FTX-1", ', ""
    )
    missing = jrec(claim_number="M")
    del missing["country"]
    data = f"[{dup}, {json.dumps({**jrec(claim_number='U'), 'note': 'x'})}, {json.dumps(missing)}, 5, []]"
    report = parse_json(data.encode())
    assert [(e.row, e.field, e.reason.split(" (")[0]) for e in report.rejected] == [
        (1, "claim_number", "appears twice in the object"),
        (2, "note", "unknown field"),
        (3, "country", "required field is missing"),
        (4, "(record)", "must be a JSON object, not a JSON number"),
        (5, "(record)", "must be a JSON object, not a JSON array"),
    ]
    assert report.rows_total == 5
    assert report.accepted == ()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"claims": []}', "the top level must be a JSON array of claim objects, not a JSON object"),
        (b"42", "not a JSON number (42)"),
        (b"[1, 2", "not valid JSON:"),
        (b"", "not valid JSON: Expecting value (line 1, column 1)"),
        (b"\xff\xfe[]", "UTF-16"),
        (b'["\xe9"]', "is not UTF-8"),
    ],
)
def test_json_file_errors(data: bytes, reason: str) -> None:
    err = only_error(parse_json(data))
    assert (err.row, err.field) == (0, "(file)")
    assert reason in err.reason


def test_json_bom_and_crlf() -> None:
    data = json.dumps([jrec()], indent=1).replace("\n", "\r\n").encode()
    report = parse_json(b"\xef\xbb\xbf" + data)
    assert report.ok
    assert report.accepted == parse_json(json_of(jrec())).accepted


# ------------------------------------------------------------------------------------------------------------
# Report API, files, docs


def test_report_summary_dict_and_raise() -> None:
    report = parse_csv(csv_of(rec(), rec(claim_number="2", allowed_amount_usd="60000"), rec(country="0")))
    text = report.summary()
    assert "3 rows, 2 accepted, 1 rejected, 2 errors" in text
    assert "row 4, country: must be in 1..999, not 0" in text
    as_dict = report.as_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert as_dict["by_class"] == {
        "1": {"name": "convenience", "count": 1, "allowed_base_units": "1234560000"},
        "2": {"name": "general", "count": 1, "allowed_base_units": "60000000000"},
    }
    assert as_dict["errors"][0] == {"row": 4, "field": "country", "reason": "must be in 1..999, not 0"}
    with pytest.raises(ScheduleRejectedError) as info:
        report.raise_if_rejected()
    assert isinstance(info.value, ScheduleError)
    assert isinstance(info.value, ValueError)
    assert (info.value.row, info.value.field) == (4, "country")
    assert len(info.value.errors) == 2
    assert "2 schedule error(s)" in str(info.value)
    parse_csv(csv_of(rec())).raise_if_rejected()


def test_read_schedule(tmp_path: Path) -> None:
    rows = parse_csv(csv_of(rec(), rec(claim_number="2"))).accepted
    (tmp_path / "s.CSV").write_bytes(render_csv(rows))
    (tmp_path / "s.json").write_bytes(render_json(rows))
    (tmp_path / "s.txt").write_bytes(render_json(rows))
    assert read_schedule(tmp_path / "s.CSV").accepted == rows
    assert read_schedule(tmp_path / "s.json").accepted == rows
    assert read_schedule(tmp_path / "s.txt", file_format="json").accepted == rows
    with pytest.raises(ScheduleError, match="cannot tell the format") as info:
        read_schedule(tmp_path / "s.txt")
    assert (info.value.row, info.value.field) == (0, "(file)")


def test_docs_examples_parse() -> None:
    doc = (REPO / "docs" / "SCHEDULE.md").read_text()
    csv_block = re.search(r"```csv\n(.*?)```", doc, re.S)
    json_block = re.search(r"```json\n(.*?)```", doc, re.S)
    assert csv_block is not None
    assert json_block is not None
    report = parse_csv(csv_block.group(1).encode(), restricted_countries={156})
    assert report.ok, report.rejected
    assert [r.status for r in report.accepted] == [ClaimStatus.Allowed, ClaimStatus.Disputed]
    assert report.accepted[1].allowed_amount == 250_000_123_456
    json_report = parse_json(json_block.group(1).encode())
    assert json_report.ok, json_report.rejected
    assert json_report.accepted[0] == report.accepted[0]


def test_public_surface() -> None:
    for name in sched.__all__:
        assert hasattr(sched, name), name
    assert set(REQUIRED_COLUMNS) | sched.OPTIONAL_COLUMNS == set(COLUMNS)


# ------------------------------------------------------------------------------------------------------------
# Properties

IDENTITIES = st.lists(
    st.tuples(st.integers(1, UINT64_MAX), st.integers(1, 999)), min_size=len(WALLETS), max_size=len(WALLETS)
)
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
CLAIM_NUMBER = st.text(PRINTABLE, min_size=1, max_size=64).filter(
    lambda s: s == s.strip() and not s.startswith(("=", "+", "-", "@"))
)
AMOUNT = st.one_of(st.integers(1, 10**12), st.integers(1, UINT96_MAX))


@st.composite
def valid_records(draw: st.DrawFn, min_size: int = 1, max_size: int = 8) -> tuple[list[dict[str, str]], frozenset[int]]:
    """Valid CSV records with varied spellings, and a restricted-country set drawn from their countries."""
    identities = draw(IDENTITIES)
    numbers = draw(st.lists(CLAIM_NUMBER, min_size=min_size, max_size=max_size, unique=True))
    records: list[dict[str, str]] = []
    for number in numbers:
        w = draw(st.integers(0, len(WALLETS) - 1))
        entity, country = identities[w]
        amount = draw(AMOUNT)
        whole, frac = divmod(amount, 10**6)
        frac_text = draw(st.sampled_from(["", "trim", "full"]))
        amount_text = str(whole)
        if frac_text == "full" or (frac and frac_text == ""):
            amount_text += f".{frac:06d}"
        elif frac_text == "trim":
            amount_text += "." + (f"{frac:06d}".rstrip("0") or "0")
        wallet = WALLETS[w] if draw(st.booleans()) else WALLETS[w].lower()
        records.append(
            {
                "claim_number": number,
                "estate": draw(st.sampled_from(["1", "01", "001"])),
                "creditor_wallet": wallet,
                "entity_id": str(entity),
                "country": draw(st.sampled_from([str(country), f"{country:03d}"])),
                "allowed_amount_usd": amount_text,
                "class": draw(st.sampled_from(["", "convenience", "general", "1", "2", "General"])),
                "status": draw(st.sampled_from(["", "allowed", "disputed", "expunged", "Disputed"])),
                "evidence_hash": "0x" + draw(st.binary(min_size=32, max_size=32).filter(any)).hex(),
            }
        )
    countries = sorted({c for _, c in identities})
    restricted = frozenset(draw(st.lists(st.sampled_from(countries), max_size=3)))
    return records, restricted


@settings(max_examples=60, deadline=None)
@given(valid_records())
def test_round_trip_csv_and_json(drawn: tuple[list[dict[str, str]], frozenset[int]]) -> None:
    records, restricted = drawn
    first = parse_csv(render_csv_records(records), restricted_countries=restricted)
    assert first.ok, first.rejected
    rows = first.accepted
    # values mean what they say
    for record, row in zip(records, rows, strict=True):
        assert row.claim_number == record["claim_number"]
        assert usd_to_base_units(record["allowed_amount_usd"]) == row.allowed_amount
        assert row.creditor_wallet.lower() == record["creditor_wallet"].lower()
        assert row.country == int(record["country"])
        assert row.entity_id == int(record["entity_id"])
        if row.country in restricted and row.status != ClaimStatus.Expunged:
            assert row.status == ClaimStatus.Disputed
            assert row.status_reason
    again_csv = parse_csv(render_csv(rows), restricted_countries=restricted)
    assert again_csv.ok
    assert again_csv.accepted == rows
    again_json = parse_json(render_json(rows), restricted_countries=restricted)
    assert again_json.ok
    assert again_json.accepted == rows
    # rendering is canonical: a second render is byte-identical
    assert render_csv(again_csv.accepted) == render_csv(rows)
    assert render_json(again_json.accepted) == render_json(rows)


INVALID_VALUES: dict[str, st.SearchStrategy[str]] = {
    "claim_number": st.one_of(
        st.sampled_from(["", " x", "x ", "=1", "+1", "@x", "-x", "é", "a\tb", "a\nb", "X" * 65]),
        st.text(PRINTABLE, min_size=65, max_size=80),
    ),
    "estate": st.one_of(
        st.sampled_from(["", "0", "-1", "x", "1.0", "1e0", " 1", "4294967296"]),
        st.integers(2, 2**40).map(str),  # valid numbers without classes
    ),
    "creditor_wallet": st.one_of(
        st.sampled_from(["", "0x", ZERO, ZERO.upper().replace("0X", "0x"), FLIPPED, "0x" + "g" * 40, W1[2:]]),
        st.sampled_from(WALLETS).map(lambda w: "0X" + w[2:]),
        st.sampled_from(WALLETS).map(lambda w: w[:-1]),
        st.binary(min_size=20, max_size=20)
        .map(lambda b: "0x" + b.hex().upper())
        .filter(lambda a: any(c.isalpha() for c in a[2:]) and a != to_checksum_address(a)),
    ),
    "entity_id": st.one_of(
        st.sampled_from(["", "0", "-1", "1.5", "1e3", " 7", "seven"]),
        st.integers(2**64, 2**80).map(str),
    ),
    "country": st.one_of(
        st.sampled_from(["", "0", "000", "-4", "CN", "1.0", "0036"]),
        st.integers(1000, 10**6).map(str),
    ),
    "allowed_amount_usd": st.one_of(
        st.sampled_from(["", "0", "0.00", "1e5", "1,000", "$5", ".5", "5.", "NaN", "1 000", "+3"]),
        st.integers(1, 10**9).map(lambda n: f"-{n}"),
        st.tuples(st.integers(0, 10**9), st.integers(7, 12)).map(lambda t: f"{t[0]}.{'1' * t[1]}"),
        st.integers(UINT96_MAX // 10**6 + 1, 2**100).map(str),
    ),
    "class": st.sampled_from(["priority", "0", "3", "99", " general", "gen eral", "2.0"]),
    "status": st.sampled_from(["pending", "0", "1", " allowed", "ALLOWED ", "withdrawn"]),
    "evidence_hash": st.one_of(
        st.sampled_from(["", "0x", "0x" + "00" * 32, "0x" + "g" * 64, "ab" * 32, "0X" + "ab" * 32]),
        st.binary(min_size=1, max_size=40).filter(lambda b: len(b) != 32).map(lambda b: "0x" + b.hex()),
    ),
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_records(min_size=2, max_size=6), st.data())
def test_every_mutated_field_is_rejected(
    drawn: tuple[list[dict[str, str]], frozenset[int]], data: st.DataObject
) -> None:
    records, restricted = drawn
    index = data.draw(st.integers(0, len(records) - 1), label="row")
    field = data.draw(st.sampled_from(sorted(INVALID_VALUES)), label="field")
    value = data.draw(INVALID_VALUES[field], label="value")
    assume(value != records[index][field])
    baseline = parse_csv(render_csv_records(records), restricted_countries=restricted)
    assert baseline.ok
    mutated = [dict(r) for r in records]
    mutated[index][field] = value
    report = parse_csv(render_csv_records(mutated), restricted_countries=restricted)
    row_number = index + 2
    assert report.rejected, (field, value)
    assert {(e.row, e.field) for e in report.rejected} == {(row_number, field)}
    expected = tuple(r for i, r in enumerate(baseline.accepted) if i != index)
    assert report.accepted == expected
    # the same mutation in a JSON file (as strings) is rejected the same way
    json_report = parse_json(render_json_records(mutated), restricted_countries=restricted)
    assert {(e.row, e.field) for e in json_report.rejected} == {(index + 1, field)}
    assert json_report.accepted == expected
