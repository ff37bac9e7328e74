"""Claims schedules: read CSV or JSON, validate every row, classify, and render back.

The format is documented in ``docs/SCHEDULE.md``. In short, one record per claim with the fields
:data:`COLUMNS`; every value is text (in JSON, amounts *must* be strings), money is integer base units from
the moment it is parsed, and every problem is reported as a :class:`RowError` naming the row, the field and
the reason. A bad row never hides the good ones: :func:`parse_csv` and :func:`parse_json` always return a
:class:`ValidationReport` with both the accepted rows and every error, plus the SHA-256 of the input bytes so
a later step (minting) can prove which file the report belongs to.

Row numbers: in CSV, the file line on which the record starts (the header is line 1, so the first data row is
row 2, as in a spreadsheet); in JSON, the 1-based position in the top-level array. Row 0 is the file itself
(encoding, syntax, header problems); any row-0 error rejects the whole file.

Exceptions::

    ValueError
     └── ScheduleError                 (row, field, reason)
          └── ScheduleRejectedError    (... plus errors: every RowError of the report)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from eth_utils.address import is_checksum_address, to_checksum_address

from pyclaims.errors import PyclaimsError
from pyclaims.types import (
    UINT32_MAX,
    UINT64_MAX,
    AmountFormatError,
    BaseUnits,
    ClaimClass,
    ClaimStatus,
    ClassScheme,
    base_units_to_usd,
    claim_ref,
    format_usd,
    usd_to_base_units,
)

__all__ = [
    "COLUMNS",
    "FILE_ROW",
    "JSON_SAFE_INTEGER_MAX",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "RowError",
    "ScheduleError",
    "ScheduleRejectedError",
    "ScheduleRow",
    "ValidationReport",
    "parse_csv",
    "parse_json",
    "read_schedule",
    "render_csv",
    "render_csv_records",
    "render_json",
    "render_json_records",
    "to_record",
]

COLUMNS: Final = (
    "claim_number",
    "estate",
    "creditor_wallet",
    "entity_id",
    "country",
    "allowed_amount_usd",
    "class",
    "status",
    "evidence_hash",
)
"""Every column, in the order :func:`render_csv` writes them."""

OPTIONAL_COLUMNS: Final = frozenset({"class", "status"})
REQUIRED_COLUMNS: Final = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)

FILE_ROW: Final = 0
"""The row number of errors about the file as a whole (encoding, syntax, header)."""

JSON_SAFE_INTEGER_MAX: Final = 2**53 - 1
"""Larger JSON numbers lose precision in many parsers (JavaScript's among them), so they are refused."""

_FILE_FIELD = "(file)"
_RECORD_FIELD = "(record)"
_CLAIM_NUMBER_MAX_LEN = 64
_UTF8_BOM = b"\xef\xbb\xbf"
_FORMULA_PREFIXES = ("=", "+", "-", "@")
_DIGITS_RE = re.compile(r"[0-9]+")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")
_STATUS_NAMES: Final = {s.name.lower(): s for s in ClaimStatus}


# ------------------------------------------------------------------------------------------------------------
# Errors


class ScheduleError(PyclaimsError, ValueError):
    """A problem with a claims schedule, located by row and field.

    Attributes:
        row: the row (see the module docstring); 0 for the file as a whole.
        field: the column/field name, or ``"(file)"`` / ``"(record)"`` for whole-file / whole-record problems.
        reason: what is wrong, in words.
    """

    def __init__(self, row: int, field: str, reason: str) -> None:
        super().__init__(f"row {row}, {field}: {reason}")
        self.row = row
        self.field = field
        self.reason = reason


class ScheduleRejectedError(ScheduleError):
    """A report has rejected rows where none were allowed; ``row``/``field``/``reason`` are the first error's.

    Attributes:
        errors: every error of the report.
    """

    def __init__(self, errors: tuple[RowError, ...]) -> None:
        first = errors[0]
        super().__init__(first.row, first.field, first.reason)
        self.errors = errors
        self.args = (f"{len(errors)} schedule error(s); first: {first}",)


# ------------------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class RowError:
    """One problem in one field of one row.

    Attributes:
        row: the row number (0 = the file).
        field: the column name, ``"(file)"`` or ``"(record)"``.
        reason: what is wrong, in words.
    """

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.reason}"


@dataclass(frozen=True)
class ScheduleRow:
    """One validated, classified claim of a schedule: ready to mint.

    Attributes:
        claim_number: the estate's claim number, exactly as scheduled.
        estate_id: the estate (``uint32``, > 0).
        creditor_wallet: the holder, EIP-55 checksummed.
        entity_id: the creditor entity (``uint64``, > 0); one entity may hold several wallets.
        country: ISO 3166-1 numeric code of the creditor (1..999).
        allowed_amount: allowed amount in base units (> 0, ``uint96``).
        claim_class: the class, explicit or derived from the amount.
        status: the status to mint with (a restricted jurisdiction turns ``Allowed`` into ``Disputed``).
        evidence_hash: 32 bytes, the hash of the evidence pack (not zero).
        status_reason: why the status differs from the schedule's, empty when it does not.
        row: where the row came from (not part of equality: a round trip may renumber rows).
    """

    claim_number: str
    estate_id: int
    creditor_wallet: str
    entity_id: int
    country: int
    allowed_amount: BaseUnits
    claim_class: ClaimClass
    status: ClaimStatus
    evidence_hash: bytes
    status_reason: str = ""
    row: int = field(default=0, compare=False)

    @property
    def claim_ref(self) -> bytes:
        """The on-chain claim reference, ``keccak256(utf8(f"{estate_id}:{claim_number}"))``."""
        return claim_ref(str(self.estate_id), self.claim_number)

    @property
    def class_id(self) -> int:
        """The on-chain class id."""
        return self.claim_class.class_id


@dataclass(frozen=True)
class ValidationReport:
    """Everything validation found in one input file.

    Attributes:
        source_format: ``"csv"`` or ``"json"``.
        digest: SHA-256 (hex) of the exact input bytes.
        rows_total: data rows read (blank CSV lines are not rows).
        accepted: the rows that passed, in file order.
        rejected: every error, in file order (a row may have several; row 0 = the file).
        classes: the class scheme used (its threshold classified the rows).
        restricted_countries: the countries whose rows were marked disputed.
    """

    source_format: Literal["csv", "json"]
    digest: str
    rows_total: int
    accepted: tuple[ScheduleRow, ...]
    rejected: tuple[RowError, ...]
    classes: ClassScheme
    restricted_countries: frozenset[int]

    @property
    def accepted_count(self) -> int:
        """How many rows were accepted."""
        return len(self.accepted)

    @property
    def rejected_count(self) -> int:
        """How many data rows were not accepted (all of them when the file itself was rejected)."""
        return self.rows_total - len(self.accepted)

    @property
    def error_count(self) -> int:
        """How many errors were reported."""
        return len(self.rejected)

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return not self.rejected

    @property
    def rejected_rows(self) -> tuple[int, ...]:
        """The distinct row numbers with errors, ascending (0 = the file)."""
        return tuple(sorted({e.row for e in self.rejected}))

    @property
    def total_allowed(self) -> BaseUnits:
        """Sum of the accepted rows' allowed amounts (base units)."""
        return BaseUnits(sum(r.allowed_amount for r in self.accepted))

    @property
    def disputed_count(self) -> int:
        """Accepted rows whose status is ``Disputed``."""
        return sum(1 for r in self.accepted if r.status == ClaimStatus.Disputed)

    def errors_for(self, row: int) -> tuple[RowError, ...]:
        """The errors reported for one row."""
        return tuple(e for e in self.rejected if e.row == row)

    def raise_if_rejected(self) -> None:
        """Raise :class:`ScheduleRejectedError` when any error was reported."""
        if self.rejected:
            raise ScheduleRejectedError(self.rejected)

    def summary(self) -> str:
        """A few lines a person reads: counts, totals, and every error."""
        lines = [
            f"schedule ({self.source_format}, sha256 {self.digest}): {self.rows_total} rows, "
            f"{self.accepted_count} accepted, {self.rejected_count} rejected, {self.error_count} errors",
            f"accepted allowed amount: {format_usd(self.total_allowed)} ({self.disputed_count} disputed)",
        ]
        lines.extend(f"  {e}" for e in self.rejected)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (amounts as strings of base units) for ``--json`` output and journals."""
        by_class: dict[str, dict[str, Any]] = {}
        for r in self.accepted:
            entry = by_class.setdefault(
                str(r.class_id), {"name": r.claim_class.name, "count": 0, "allowed_base_units": 0}
            )
            entry["count"] += 1
            entry["allowed_base_units"] += r.allowed_amount
        for entry in by_class.values():
            entry["allowed_base_units"] = str(entry["allowed_base_units"])
        return {
            "source_format": self.source_format,
            "sha256": self.digest,
            "rows_total": self.rows_total,
            "accepted": self.accepted_count,
            "rejected": self.rejected_count,
            "disputed": self.disputed_count,
            "total_allowed_base_units": str(self.total_allowed),
            "convenience_threshold_base_units": str(self.classes.convenience_threshold),
            "restricted_countries": sorted(self.restricted_countries),
            "by_class": by_class,
            "errors": [{"row": e.row, "field": e.field, "reason": e.reason} for e in self.rejected],
        }


# ------------------------------------------------------------------------------------------------------------
# Raw values from either format


class _JsonNumber(str):
    """The literal text of a JSON number (or NaN/Infinity), kept so that nothing is silently converted."""

    __slots__ = ()


class _JsonObject(dict[str, Any]):
    """A JSON object that remembers keys that appeared more than once."""

    duplicates: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject()
    dups: list[str] = []
    for key, value in pairs:
        if key in obj:
            dups.append(key)
        obj[key] = value
    obj.duplicates = tuple(dups)
    return obj


def _describe_json(value: object) -> str:
    if isinstance(value, _JsonNumber):
        return f"a JSON number ({value})"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, dict):
        return "a JSON object"
    return repr(value)


class _FieldError(Exception):
    """Internal: one field failed; carries the reason only (the caller knows row and field)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _text(value: object, *, integer_ok: bool = False) -> str:
    """The text of a raw value; JSON integers up to 2^53 - 1 pass where ``integer_ok``, floats never."""
    if isinstance(value, _JsonNumber):
        if not integer_ok:
            raise _FieldError(f"must be a JSON string, not {_describe_json(value)}")
        if not re.fullmatch(r"-?[0-9]+", value):
            raise _FieldError(f"must be a whole number, not {_describe_json(value)}")
        if abs(int(value)) > JSON_SAFE_INTEGER_MAX:
            raise _FieldError(
                f"{_describe_json(value)} is past 2^53 and loses precision in many JSON parsers; write it as a string"
            )
        return value
    if isinstance(value, str):
        return value
    raise _FieldError(f"must be a string, not {_describe_json(value)}")


def _check_plain(text: str) -> None:
    if text == "":
        raise _FieldError("is empty")
    if text != text.strip():
        raise _FieldError("has leading or trailing whitespace")


def _parse_uint(text: str, *, what: str, low: int, high: int) -> int:
    _check_plain(text)
    if text.startswith("-") and _DIGITS_RE.fullmatch(text[1:]):
        raise _FieldError(f"must be a positive {what}, not negative")
    if not _DIGITS_RE.fullmatch(text):
        raise _FieldError(f"must be a whole {what} written with the digits 0-9, not {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise _FieldError(f"must be in {low}..{high}, not {value}")
    return value


def _parse_claim_number(raw: object) -> str:
    if isinstance(raw, _JsonNumber):
        raise _FieldError(f"must be a JSON string (claim numbers are text: 00123 is not 123), not {raw}")
    text = _text(raw)
    _check_plain(text)
    if len(text) > _CLAIM_NUMBER_MAX_LEN:
        raise _FieldError(f"is {len(text)} characters long; at most {_CLAIM_NUMBER_MAX_LEN}")
    if not all(" " <= ch <= "~" for ch in text):
        raise _FieldError("may contain printable ASCII characters only")
    if text.startswith(_FORMULA_PREFIXES):
        raise _FieldError(f"starts with {text[0]!r}, which spreadsheets run as a formula")
    return text


def _parse_estate(raw: object, classes: ClassScheme) -> int:
    estate = _parse_uint(_text(raw, integer_ok=True), what="estate id", low=1, high=UINT32_MAX)
    if estate not in classes.estate_ids:
        raise _FieldError(f"estate {estate} has no classes in the class scheme")
    return estate


def _parse_wallet(raw: object, *, require_checksum: bool) -> str:
    text = _text(raw)
    _check_plain(text)
    if not text.startswith("0x"):
        raise _FieldError("must start with 0x (lowercase x)")
    body = text[2:]
    if len(body) != 40 or not _HEX_RE.fullmatch(body):
        raise _FieldError("must be 0x followed by exactly 40 hex digits")
    if int(body, 16) == 0:
        raise _FieldError("is the zero address, which cannot hold a claim")
    if body == body.lower() and not is_checksum_address(text):
        if require_checksum:
            raise _FieldError("is all lowercase; an EIP-55 checksummed address is required")
        return str(to_checksum_address(text))
    if not is_checksum_address(text):
        raise _FieldError("fails its EIP-55 checksum (a typo or a changed letter case?)")
    return text


def _parse_entity(raw: object) -> int:
    return _parse_uint(_text(raw, integer_ok=True), what="entity id", low=1, high=UINT64_MAX)


def _parse_amount(raw: object) -> BaseUnits:
    if isinstance(raw, _JsonNumber):
        raise _FieldError(
            f'must be a JSON string such as "1234.56", not {_describe_json(raw)}: '
            "JSON numbers are binary floats in most parsers"
        )
    text = _text(raw)
    try:
        value = usd_to_base_units(text)
    except AmountFormatError as exc:
        raise _FieldError(exc.reason) from None
    if value == 0:
        raise _FieldError("is zero; an allowed amount must be positive")
    return BaseUnits(value)


def _parse_country(raw: object) -> int:
    text = _text(raw, integer_ok=True)
    _check_plain(text)
    if _DIGITS_RE.fullmatch(text) and len(text) > 3:
        raise _FieldError(f"must be an ISO 3166-1 numeric code of at most 3 digits, not {text!r}")
    return _parse_uint(text, what="ISO 3166-1 numeric code", low=1, high=999)


def _parse_class(raw: object, estate: int, classes: ClassScheme) -> ClaimClass:
    text = _text(raw, integer_ok=True)
    _check_plain(text)
    if _DIGITS_RE.fullmatch(text):
        found = classes.by_id(int(text))
        if found is None:
            raise _FieldError(f"class id {int(text)} is not in the class scheme")
        if found.estate_id != estate:
            raise _FieldError(f"class id {found.class_id} belongs to estate {found.estate_id}, not {estate}")
        return found
    named = classes.by_name(estate, text)
    if named is None:
        names = sorted(c.name for c in classes.classes if c.estate_id == estate)
        raise _FieldError(f"unknown class {text!r} for estate {estate} (known: {', '.join(names)})")
    return named


def _parse_status(raw: object) -> ClaimStatus:
    text = _text(raw)
    _check_plain(text)
    status = _STATUS_NAMES.get(text.lower())
    if status is None:
        raise _FieldError(f"must be allowed, disputed or expunged, not {text!r}")
    return status


def _parse_evidence(raw: object) -> bytes:
    text = _text(raw)
    _check_plain(text)
    if not text.startswith("0x"):
        raise _FieldError("must start with 0x (lowercase x)")
    body = text[2:]
    if len(body) != 64 or not _HEX_RE.fullmatch(body):
        raise _FieldError("must be 0x followed by exactly 64 hex digits (32 bytes)")
    value = bytes.fromhex(body)
    if not any(value):
        raise _FieldError("is all zeros; a claim needs the hash of its evidence")
    return value


def _absent(raw: object) -> bool:
    """An optional field counts as absent when missing, empty (CSV) or null (JSON)."""
    return raw is None or raw == ""


# ------------------------------------------------------------------------------------------------------------
# Validation of records


@dataclass(frozen=True)
class _Options:
    classes: ClassScheme
    restricted_countries: frozenset[int]
    require_checksum: bool


class _Validator:
    """Validates records one by one, remembering what cross-row checks need."""

    def __init__(self, options: _Options) -> None:
        self.options = options
        self.claims: dict[tuple[int, str], int] = {}
        self.wallets: dict[str, tuple[int, int, int]] = {}  # wallet -> (entity, country, first row)
        self.accepted: list[ScheduleRow] = []
        self.errors: list[RowError] = []

    def record(self, row: int, values: Mapping[str, object], problems: Sequence[RowError] = ()) -> None:
        """Validate one record and accept it or record its errors.

        ``values`` maps column names to raw values (a missing optional key is an absent value, a missing
        required key an error); ``problems`` are errors the caller already found (they reject the row too,
        and the fields are still checked so that every problem is reported at once).
        """
        errors: list[RowError] = list(problems)
        parsed: dict[str, Any] = {}
        opts = self.options

        def attempt(name: str, parse: Any, *args: Any) -> None:
            if name not in values:
                errors.append(RowError(row, name, "required field is missing"))
                return
            try:
                parsed[name] = parse(values[name], *args)
            except _FieldError as exc:
                errors.append(RowError(row, name, exc.reason))

        attempt("claim_number", _parse_claim_number)
        attempt("estate", _parse_estate, opts.classes)
        attempt("creditor_wallet", lambda raw: _parse_wallet(raw, require_checksum=opts.require_checksum))
        attempt("entity_id", _parse_entity)
        attempt("country", _parse_country)
        attempt("allowed_amount_usd", _parse_amount)
        if "estate" in parsed and not _absent(values.get("class")):
            attempt("class", _parse_class, parsed["estate"], opts.classes)
        if not _absent(values.get("status")):
            attempt("status", _parse_status)
        attempt("evidence_hash", _parse_evidence)

        # Derived class (only when everything it depends on is valid).
        if "class" not in parsed and _absent(values.get("class")) and {"estate", "allowed_amount_usd"} <= set(parsed):
            derived = opts.classes.classify(parsed["estate"], parsed["allowed_amount_usd"])
            if derived is None:
                wanted = (
                    opts.classes.convenience_name
                    if parsed["allowed_amount_usd"] < opts.classes.convenience_threshold
                    else opts.classes.general_name
                )
                errors.append(
                    RowError(row, "class", f"no class given and estate {parsed['estate']} has no {wanted!r} class")
                )
            else:
                parsed["class"] = derived

        # Cross-row: duplicate claim numbers per estate (the first occurrence wins).
        if "claim_number" in parsed and "estate" in parsed:
            key = (parsed["estate"], parsed["claim_number"])
            first = self.claims.get(key)
            if first is not None:
                errors.append(
                    RowError(
                        row,
                        "claim_number",
                        f"duplicate claim number {key[1]!r} in estate {key[0]} (first in row {first})",
                    )
                )
            else:
                self.claims[key] = row

        # Cross-row: one wallet belongs to one entity and has one attestation country.
        if {"creditor_wallet", "entity_id", "country"} <= set(parsed):
            wallet = parsed["creditor_wallet"]
            seen = self.wallets.get(wallet)
            if seen is None:
                self.wallets[wallet] = (parsed["entity_id"], parsed["country"], row)
            elif seen[0] != parsed["entity_id"]:
                errors.append(
                    RowError(
                        row,
                        "creditor_wallet",
                        f"wallet {wallet} belongs to entity {seen[0]} (row {seen[2]}), not {parsed['entity_id']}",
                    )
                )
            elif seen[1] != parsed["country"]:
                errors.append(
                    RowError(
                        row,
                        "country",
                        f"wallet {wallet} has country {seen[1]:03d} (row {seen[2]}), not {parsed['country']:03d}",
                    )
                )

        if errors:
            self.errors.extend(errors)
            return

        status: ClaimStatus = parsed.get("status", ClaimStatus.Allowed)
        reason = ""
        if parsed["country"] in opts.restricted_countries and status != ClaimStatus.Expunged:
            status = ClaimStatus.Disputed
            reason = f"restricted jurisdiction (country {parsed['country']:03d})"
        self.accepted.append(
            ScheduleRow(
                claim_number=parsed["claim_number"],
                estate_id=parsed["estate"],
                creditor_wallet=parsed["creditor_wallet"],
                entity_id=parsed["entity_id"],
                country=parsed["country"],
                allowed_amount=parsed["allowed_amount_usd"],
                claim_class=parsed["class"],
                status=status,
                evidence_hash=parsed["evidence_hash"],
                status_reason=reason,
                row=row,
            )
        )


def _options(classes: ClassScheme | None, restricted_countries: Iterable[int], require_checksum: bool) -> _Options:
    countries = frozenset(restricted_countries)
    for c in countries:
        if not 1 <= c <= 999:
            raise ValueError(f"restricted country {c} is not an ISO 3166-1 numeric code (1..999)")
    return _Options(classes or ClassScheme.default(), countries, require_checksum)


def _report(
    fmt: Literal["csv", "json"],
    data: bytes,
    options: _Options,
    rows_total: int,
    validator: _Validator | None,
    file_errors: Sequence[RowError],
) -> ValidationReport:
    if file_errors or validator is None:
        accepted: tuple[ScheduleRow, ...] = ()
        errors = tuple(file_errors) + (tuple(validator.errors) if validator else ())
    else:
        accepted = tuple(validator.accepted)
        errors = tuple(validator.errors)
    return ValidationReport(
        source_format=fmt,
        digest=hashlib.sha256(data).hexdigest(),
        rows_total=rows_total,
        accepted=accepted,
        rejected=errors,
        classes=options.classes,
        restricted_countries=options.restricted_countries,
    )


def _decode(data: bytes) -> str:
    """UTF-8 text of a file; a UTF-8 byte order mark at the very start is accepted and dropped."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        raise _FieldError("is UTF-16 or UTF-32 text (byte order mark found); save it as UTF-8")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _FieldError(f"is not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}") from None


# ------------------------------------------------------------------------------------------------------------
# Public parsing API


def parse_csv(
    data: bytes,
    *,
    classes: ClassScheme | None = None,
    restricted_countries: Iterable[int] = frozenset(),
    require_checksum: bool = False,
) -> ValidationReport:
    """Validate a CSV schedule (UTF-8, optional BOM, LF or CRLF line endings, a header row).

    Args:
        data: the file's bytes, exactly as read (the report's digest is their SHA-256).
        classes: the class scheme; if omitted, :meth:`ClassScheme.default` (estate 1, classes 1 and 2,
            threshold $50,000).
        restricted_countries: ISO numeric codes whose claims are marked disputed.
        require_checksum: refuse all-lowercase addresses too (mixed case must always match EIP-55).
    """
    options = _options(classes, restricted_countries, require_checksum)
    try:
        text = _decode(data)
    except _FieldError as exc:
        return _report("csv", data, options, 0, None, [RowError(FILE_ROW, _FILE_FIELD, f"the file {exc.reason}")])

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    file_errors: list[RowError] = []
    line = 0
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if not record or all(cell == "" for cell in record):
                continue
            records.append((start, record))
    except csv.Error as exc:
        file_errors.append(RowError(FILE_ROW, _FILE_FIELD, f"CSV syntax error on line {reader.line_num}: {exc}"))

    if not records:
        if not file_errors:
            file_errors.append(RowError(FILE_ROW, _FILE_FIELD, "the file is empty: no header row"))
        return _report("csv", data, options, 0, None, file_errors)

    (_, header), body = records[0], records[1:]
    file_errors.extend(_header_errors(header))
    validator = _Validator(options)
    if not file_errors:
        for row, cells in body:
            if len(cells) != len(header):
                validator.errors.append(
                    RowError(row, _RECORD_FIELD, f"has {len(cells)} cells; the header has {len(header)}")
                )
                continue
            values: dict[str, object] = dict(zip(header, cells, strict=True))
            validator.record(row, values)
    return _report("csv", data, options, len(body), validator, file_errors)


def _header_errors(header: Sequence[str]) -> list[RowError]:
    errors: list[RowError] = []
    seen: set[str] = set()
    expected = ", ".join(COLUMNS)
    for name in header:
        if name in seen:
            errors.append(RowError(FILE_ROW, name, "column appears twice in the header"))
        elif name not in COLUMNS:
            shown = name if name else "(empty)"
            errors.append(RowError(FILE_ROW, shown, f"unknown column (the columns are: {expected})"))
        seen.add(name)
    errors.extend(
        RowError(FILE_ROW, name, "required column is missing from the header")
        for name in REQUIRED_COLUMNS
        if name not in seen
    )
    return errors


def parse_json(
    data: bytes,
    *,
    classes: ClassScheme | None = None,
    restricted_countries: Iterable[int] = frozenset(),
    require_checksum: bool = False,
) -> ValidationReport:
    """Validate a JSON schedule: a top-level array of objects, one per claim (see ``docs/SCHEDULE.md``).

    Amounts must be JSON strings; integers (estate, entity id, country, class id) may be strings or JSON
    integers up to 2^53 - 1. Floats, exponents, NaN and larger numbers are refused with a reason. Arguments
    as for :func:`parse_csv`.
    """
    options = _options(classes, restricted_countries, require_checksum)

    def file_error(reason: str) -> ValidationReport:
        return _report("json", data, options, 0, None, [RowError(FILE_ROW, _FILE_FIELD, reason)])

    try:
        text = _decode(data)
    except _FieldError as exc:
        return file_error(f"the file {exc.reason}")
    try:
        document = json.loads(
            text,
            parse_int=_JsonNumber,
            parse_float=_JsonNumber,
            parse_constant=_JsonNumber,
            object_pairs_hook=_json_object,
        )
    except json.JSONDecodeError as exc:
        return file_error(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    if not isinstance(document, list):
        return file_error(f"the top level must be a JSON array of claim objects, not {_describe_json(document)}")

    validator = _Validator(options)
    for index, obj in enumerate(document, start=1):
        if not isinstance(obj, _JsonObject):
            validator.errors.append(RowError(index, _RECORD_FIELD, f"must be a JSON object, not {_describe_json(obj)}"))
            continue
        problems = [RowError(index, key, "appears twice in the object") for key in obj.duplicates]
        problems += [
            RowError(index, key, f"unknown field (the fields are: {', '.join(COLUMNS)})")
            for key in obj
            if key not in COLUMNS
        ]
        validator.record(index, obj, problems)
    return _report("json", data, options, len(document), validator, [])


def read_schedule(
    path: str | Path,
    *,
    file_format: Literal["csv", "json"] | None = None,
    classes: ClassScheme | None = None,
    restricted_countries: Iterable[int] = frozenset(),
    require_checksum: bool = False,
) -> ValidationReport:
    """Read and validate a schedule file; the format comes from ``file_format`` or the suffix (.csv / .json).

    Raises:
        ScheduleError: the format cannot be determined (row 0, field ``"(file)"``).
        OSError: the file cannot be read.
    """
    p = Path(path)
    fmt = file_format or p.suffix.lower().lstrip(".")
    data = p.read_bytes()
    if fmt == "csv":
        return parse_csv(
            data,
            classes=classes,
            restricted_countries=restricted_countries,
            require_checksum=require_checksum,
        )
    if fmt == "json":
        return parse_json(
            data,
            classes=classes,
            restricted_countries=restricted_countries,
            require_checksum=require_checksum,
        )
    raise ScheduleError(FILE_ROW, _FILE_FIELD, f"cannot tell the format of {p.name!r}: name it .csv or .json")


# ------------------------------------------------------------------------------------------------------------
# Rendering


def to_record(row: ScheduleRow) -> dict[str, str]:
    """A row as the text record the parsers read back (canonical forms, the class by name)."""
    return {
        "claim_number": row.claim_number,
        "estate": str(row.estate_id),
        "creditor_wallet": row.creditor_wallet,
        "entity_id": str(row.entity_id),
        "country": f"{row.country:03d}",
        "allowed_amount_usd": base_units_to_usd(row.allowed_amount),
        "class": row.claim_class.name,
        "status": row.status.name.lower(),
        "evidence_hash": "0x" + row.evidence_hash.hex(),
    }


def render_csv_records(records: Iterable[Mapping[str, str]], columns: Sequence[str] = COLUMNS) -> bytes:
    """Write text records as CSV (UTF-8, no BOM, LF endings, quoting only where needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for rec in records:
        writer.writerow([rec.get(c, "") for c in columns])
    return out.getvalue().encode("utf-8")


def render_csv(rows: Iterable[ScheduleRow]) -> bytes:
    """Render rows as a CSV schedule; :func:`parse_csv` of the result gives the rows back (same options)."""
    return render_csv_records(to_record(r) for r in rows)


def render_json_records(records: Iterable[Mapping[str, object]]) -> bytes:
    """Write JSON-ready records as a JSON schedule: an array, two-space indent, LF at the end."""
    return (json.dumps(list(records), indent=2, ensure_ascii=True) + "\n").encode("utf-8")


def render_json(rows: Iterable[ScheduleRow]) -> bytes:
    """Render rows as a JSON schedule; :func:`parse_json` of the result gives the rows back (same options).

    Estate and country are JSON integers; the entity id (``uint64``, possibly past 2^53) and the amount are
    strings.
    """
    records: list[dict[str, object]] = []
    for r in rows:
        rec: dict[str, object] = dict(to_record(r))
        rec["estate"] = r.estate_id
        rec["country"] = r.country
        records.append(rec)
    return render_json_records(records)
