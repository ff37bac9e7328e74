"""Shared domain types: units, enums mirroring the contracts, claim classes, amounts and claim references.

Money is always an integer number of stablecoin base units (USDC, 6 decimals: 1 USD = 1,000,000 base units).
Rates are parts per million (ppm). ``Decimal`` appears only in :func:`format_usd`, for display.

Amount text (:func:`usd_to_base_units`) has one accepted form, so that a file means the same thing to every
reader: ASCII digits, optionally a ``.`` and 1 to 6 more digits (``"1234.56"``, ``"0.000001"``, ``"50000"``).
Signs, currency symbols, thousands separators, exponents, ``NaN``/``Infinity``, whitespace and more than six
decimal places are all rejected with a reason that names the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import NewType

from eth_utils.crypto import keccak

from pyclaims.errors import PyclaimsError

__all__ = [
    "BASE_UNITS_PER_USD",
    "BPS_SCALE",
    "DEFAULT_CONVENIENCE_THRESHOLD",
    "RATE_SCALE",
    "UINT16_MAX",
    "UINT32_MAX",
    "UINT64_MAX",
    "UINT96_MAX",
    "USDC_DECIMALS",
    "AmountFormatError",
    "BaseUnits",
    "Bps",
    "ClaimClass",
    "ClaimStatus",
    "ClassScheme",
    "ClassSchemeError",
    "Ppm",
    "Side",
    "base_units_to_usd",
    "claim_ref",
    "format_usd",
    "usd_to_base_units",
]

BaseUnits = NewType("BaseUnits", int)
"""An amount of the stablecoin (or of allowed claim amount) in base units: 1 USD = 1,000,000."""

Ppm = NewType("Ppm", int)
"""Parts per million: 1,000,000 ppm = 100%."""

Bps = NewType("Bps", int)
"""Basis points: 10,000 bps = 100%."""

USDC_DECIMALS = 6
BASE_UNITS_PER_USD = 10**USDC_DECIMALS
RATE_SCALE = 1_000_000
"""The ppm scale used on chain for distribution rates and class-bid prices."""
BPS_SCALE = 10_000

UINT16_MAX = 2**16 - 1
UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1
UINT96_MAX = 2**96 - 1
"""Claim amounts are ``uint96`` on chain."""

DEFAULT_CONVENIENCE_THRESHOLD = BaseUnits(50_000 * BASE_UNITS_PER_USD)
"""Claims strictly below $50,000 are convenience-class by default (the FTX plan's convenience class)."""


class ClaimStatus(IntEnum):
    """Mirror of the Solidity ``ClaimStatus`` enum."""

    Allowed = 0
    Disputed = 1
    Expunged = 2


class Side(IntEnum):
    """Mirror of an order's ``side``: 0 = Ask (the maker sells), 1 = Bid (the maker buys)."""

    Ask = 0
    Bid = 1


# ------------------------------------------------------------------------------------------------------------
# Amounts


class AmountFormatError(PyclaimsError, ValueError):
    """A USD amount string is not in the accepted form, or is out of range.

    Attributes:
        text: the offending input (``repr``-safe; may be any string).
        reason: what is wrong with it, in words.
    """

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"invalid USD amount {text!r}: {reason}")
        self.text = text
        self.reason = reason


_AMOUNT_RE = re.compile(r"([0-9]+)(?:\.([0-9]+))?")


def _amount_problem(text: str) -> str:
    """Explain, as precisely as possible, why ``text`` is not an accepted amount (it did not match)."""
    if text == "":
        return "empty"
    if text != text.strip():
        return "has leading or trailing whitespace"
    if not text.isascii():
        return "contains non-ASCII characters"
    lowered = text.lower()
    if lowered.lstrip("+-") in {"nan", "inf", "infinity"}:
        return "NaN and infinity are not amounts"
    if text.startswith("-"):
        return "negative amount"
    if text.startswith("+"):
        return "a sign is not accepted; write the digits only"
    if "$" in text or "usd" in lowered:
        return "currency symbols are not accepted; write the number only"
    if "," in text or "_" in text or " " in text or "'" in text:
        return "thousands separators are not accepted; write 1234567.89, not 1,234,567.89"
    if "e" in lowered:
        return "exponent notation is not accepted; write the number in full"
    if text.startswith("."):
        return "needs a digit before the decimal point (0.5, not .5)"
    if text.endswith("."):
        return "needs at least one digit after the decimal point"
    return "not a decimal number (expected digits with an optional '.' and up to 6 decimals)"


def usd_to_base_units(text: str) -> int:
    """Parse a decimal USD amount string into base units, exactly.

    Accepts ``[0-9]+(\\.[0-9]{1,6})?`` only: at most 6 decimal places, no sign, symbol, separator, exponent or
    whitespace. Zero is accepted here (callers that need a positive amount check that themselves).

    Raises:
        AmountFormatError: the text is malformed, has more than 6 decimals, or exceeds ``uint96``.
    """
    match = _AMOUNT_RE.fullmatch(text)
    if match is None:
        raise AmountFormatError(text, _amount_problem(text))
    whole: str = match.group(1)
    frac: str = match.group(2) or ""
    if len(frac) > USDC_DECIMALS:
        raise AmountFormatError(
            text, f"has {len(frac)} decimal places; at most {USDC_DECIMALS} (one base unit = 0.000001 USD)"
        )
    value: int = int(whole) * BASE_UNITS_PER_USD + int(frac.ljust(USDC_DECIMALS, "0"))
    if value > UINT96_MAX:
        raise AmountFormatError(text, "exceeds the largest claim amount (uint96 base units)")
    return value


def base_units_to_usd(base_units: int) -> str:
    """Render base units as the canonical amount string :func:`usd_to_base_units` parses back.

    At least two decimals, trailing zeros beyond that dropped: ``1_500_000 -> "1.50"``,
    ``1 -> "0.000001"``, ``50_000_000_000 -> "50000.00"``. Negative values get a leading ``-`` (display only;
    the parser rejects them).
    """
    sign = "-" if base_units < 0 else ""
    whole, frac = divmod(abs(base_units), BASE_UNITS_PER_USD)
    frac_text = f"{frac:06d}".rstrip("0").ljust(2, "0")
    return f"{sign}{whole}.{frac_text}"


def format_usd(base_units: int) -> str:
    """Human-readable dollars with separators: ``1234567890 -> "$1,234.56789"``, ``-5 -> "-$0.000005"``.

    For display only (``Decimal`` formatting, never used for arithmetic). At least two decimals are shown and
    no base unit is ever rounded away.
    """
    sign = "-" if base_units < 0 else ""
    plain = base_units_to_usd(abs(base_units))
    whole, frac = plain.split(".")
    return f"{sign}${Decimal(whole):,}.{frac}"


# ------------------------------------------------------------------------------------------------------------
# Claim references


def claim_ref(estate: str, number: str) -> bytes:
    """The on-chain claim reference: ``keccak256(utf8(f"{estate}:{number}"))`` (32 bytes).

    No personal data goes on chain, only this hash. ``estate`` is the estate's canonical id text (for a
    numeric estate id, ``str(estate_id)`` without leading zeros), ``number`` the estate's claim number exactly
    as scheduled.
    """
    if not estate:
        raise ValueError("claim_ref: estate must not be empty")
    if not number:
        raise ValueError("claim_ref: claim number must not be empty")
    return bytes(keccak(text=f"{estate}:{number}"))


# ------------------------------------------------------------------------------------------------------------
# Claim classes


class ClassSchemeError(PyclaimsError, ValueError):
    """A class scheme is inconsistent (duplicate ids, bad ids, duplicate names within an estate...)."""


_CLASS_NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class ClaimClass:
    """A claim class as defined on chain by ``defineClass(classId, estateId)``, with a human name.

    Attributes:
        class_id: the on-chain class id (``uint32``, > 0, globally unique).
        estate_id: the estate the class belongs to (``uint32``, > 0).
        name: a lowercase name unique within the estate, e.g. ``"convenience"`` or ``"general"``.
    """

    class_id: int
    estate_id: int
    name: str

    def __post_init__(self) -> None:
        if not 0 < self.class_id <= UINT32_MAX:
            raise ClassSchemeError(f"class id must be in 1..{UINT32_MAX}, not {self.class_id}")
        if not 0 < self.estate_id <= UINT32_MAX:
            raise ClassSchemeError(f"estate id must be in 1..{UINT32_MAX}, not {self.estate_id}")
        if not _CLASS_NAME_RE.fullmatch(self.name) or self.name.isdigit():
            raise ClassSchemeError(
                f"class name {self.name!r} must be lowercase letters, digits, '_' or '-', starting with a letter"
            )


@dataclass(frozen=True)
class ClassScheme:
    """The classes claims are sorted into: data, configurable per deployment.

    A claim with no explicit class is derived from its amount: the estate's ``convenience_name`` class when
    the allowed amount is strictly below ``convenience_threshold``, otherwise its ``general_name`` class.

    Attributes:
        classes: every class (ids unique; names unique within an estate).
        convenience_threshold: base units; claims below it are convenience-class when derived.
        convenience_name: the name of the class small claims derive to.
        general_name: the name of the class the other claims derive to.
    """

    classes: tuple[ClaimClass, ...]
    convenience_threshold: BaseUnits = DEFAULT_CONVENIENCE_THRESHOLD
    convenience_name: str = "convenience"
    general_name: str = "general"

    def __post_init__(self) -> None:
        if not self.classes:
            raise ClassSchemeError("a class scheme needs at least one class")
        ids: set[int] = set()
        names: set[tuple[int, str]] = set()
        for cls in self.classes:
            if cls.class_id in ids:
                raise ClassSchemeError(f"class id {cls.class_id} is defined twice")
            if (cls.estate_id, cls.name) in names:
                raise ClassSchemeError(f"class name {cls.name!r} is defined twice for estate {cls.estate_id}")
            ids.add(cls.class_id)
            names.add((cls.estate_id, cls.name))
        if not 0 < self.convenience_threshold <= UINT96_MAX + 1:
            raise ClassSchemeError(f"convenience threshold must be positive, not {self.convenience_threshold}")

    @classmethod
    def default(
        cls,
        estate_ids: tuple[int, ...] = (1,),
        *,
        convenience_threshold: int = DEFAULT_CONVENIENCE_THRESHOLD,
    ) -> ClassScheme:
        """Two classes per estate: the i-th estate (from 0) gets ``2i+1`` convenience, ``2i+2`` general."""
        classes: list[ClaimClass] = []
        for i, estate in enumerate(estate_ids):
            classes.append(ClaimClass(2 * i + 1, estate, "convenience"))
            classes.append(ClaimClass(2 * i + 2, estate, "general"))
        return cls(tuple(classes), convenience_threshold=BaseUnits(convenience_threshold))

    @property
    def estate_ids(self) -> frozenset[int]:
        """Every estate that has at least one class."""
        return frozenset(c.estate_id for c in self.classes)

    def by_id(self, class_id: int) -> ClaimClass | None:
        """The class with this id, or ``None``."""
        for c in self.classes:
            if c.class_id == class_id:
                return c
        return None

    def by_name(self, estate_id: int, name: str) -> ClaimClass | None:
        """The estate's class with this name (case-insensitive), or ``None``."""
        lowered = name.lower()
        for c in self.classes:
            if c.estate_id == estate_id and c.name == lowered:
                return c
        return None

    def classify(self, estate_id: int, amount: int) -> ClaimClass | None:
        """The class an amount derives to in an estate, or ``None`` when the estate lacks that class."""
        name = self.convenience_name if amount < self.convenience_threshold else self.general_name
        return self.by_name(estate_id, name)
