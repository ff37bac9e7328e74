"""A realistic, deterministic claims schedule for the end-to-end demo (and for tests).

:func:`generate_schedule` takes the wallets the demo controls and returns a :class:`DemoSchedule`: the CSV and
JSON files a claims agent would hand over (with a few planted bad rows the validator must reject), the rows the
validator is expected to accept, and the identities (wallet, entity, country) the demo attests on chain.

Everything is integer and seeded: amounts are drawn with :class:`random.Random` from integer weights (a
heavy-tailed, decade-by-decade log-uniform mix, leading digits Benford-like), in whole cents, so the same
``(wallets, n, seed)`` always gives byte-identical files. No float ever touches an amount.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from eth_utils.address import is_checksum_address
from eth_utils.crypto import keccak

from pyclaims.schedule import (
    ScheduleRow,
    render_csv_records,
    render_json_records,
    to_record,
)
from pyclaims.types import (
    BASE_UNITS_PER_USD,
    RATE_SCALE,
    BaseUnits,
    ClaimStatus,
    ClassScheme,
)

__all__ = [
    "DEFAULT_RESTRICTED_COUNTRIES",
    "DemoIdentity",
    "DemoSchedule",
    "PlantedBadRow",
    "generate_schedule",
]

DEFAULT_RESTRICTED_COUNTRIES: Final = frozenset({156, 643, 364, 408, 760, 192})
"""China, Russia, Iran, North Korea, Syria, Cuba (ISO 3166-1 numeric): a few of the restricted jurisdictions."""

# Where the other creditors live (ISO numeric, integer weights): FTX's international book was broad.
_COUNTRIES: Final = (
    (392, 14),  # Japan
    (826, 12),  # United Kingdom
    (410, 11),  # South Korea
    (702, 9),  # Singapore
    (276, 8),  # Germany
    (36, 7),  # Australia
    (124, 7),  # Canada
    (250, 6),  # France
    (528, 5),  # Netherlands
    (76, 5),  # Brazil
    (756, 4),  # Switzerland
    (344, 4),  # Hong Kong
    (158, 4),  # Taiwan
    (804, 4),  # Ukraine
    (784, 3),  # United Arab Emirates
    (724, 3),  # Spain
    (380, 3),  # Italy
    (32, 2),  # Argentina
)

# Amount decades in whole dollars [low, high) with integer weights: most claims are small, a few are huge.
_DECADES: Final = (
    (10, 100, 40),
    (100, 1_000, 230),
    (1_000, 10_000, 330),
    (10_000, 100_000, 270),
    (100_000, 1_000_000, 100),
    (1_000_000, 10_000_000, 25),
    (10_000_000, 50_000_000, 5),
)
# Benford-like weights of the leading digit 1..9 (1000 * log10(1 + 1/d), rounded).
_LEADING: Final = (301, 176, 125, 97, 79, 67, 58, 51, 46)

_CENT: Final = BASE_UNITS_PER_USD // 100
_EXPLICIT_DISPUTE_PPM: Final = 10_000  # ~1% of claims are disputed in the schedule itself (objection pending)
_ZERO_ADDRESS: Final = "0x" + "0" * 40


@dataclass(frozen=True)
class DemoIdentity:
    """A wallet the demo attests: its entity and country.

    Attributes:
        wallet: EIP-55 address (one of the wallets passed in).
        entity_id: the creditor entity (one entity may have several wallets).
        country: ISO 3166-1 numeric.
    """

    wallet: str
    entity_id: int
    country: int


@dataclass(frozen=True)
class PlantedBadRow:
    """A row planted to be rejected.

    Attributes:
        csv_row: its row number in the CSV file (the line; the header is row 1).
        json_row: its row number in the JSON file (1-based array position).
        field: the field the validator must name.
        kind: what is wrong, in words.
    """

    csv_row: int
    json_row: int
    field: str
    kind: str


@dataclass(frozen=True)
class DemoSchedule:
    """A generated schedule.

    Attributes:
        rows: the rows the validator must accept (in file order, classified, restricted ones disputed).
        identities: one per wallet used; attest these before minting.
        planted: the bad rows (in file order).
        csv: the CSV file (UTF-8, LF, header row).
        json: the JSON file with the same records.
        classes: the class scheme to validate with.
        restricted_countries: the restricted jurisdictions to validate with.
    """

    rows: tuple[ScheduleRow, ...]
    identities: tuple[DemoIdentity, ...]
    planted: tuple[PlantedBadRow, ...]
    csv: bytes
    json: bytes
    classes: ClassScheme
    restricted_countries: frozenset[int]


def _weighted(rng: random.Random, weights: Sequence[int]) -> int:
    """An index drawn with integer weights (no floats)."""
    pick = rng.randrange(sum(weights))
    for i, w in enumerate(weights):
        if pick < w:
            return i
        pick -= w
    raise AssertionError("unreachable: pick < sum(weights)")


def _amount(rng: random.Random) -> BaseUnits:
    """A heavy-tailed allowed amount in whole cents, as base units."""
    low, high, _ = _DECADES[_weighted(rng, [w for _, _, w in _DECADES])]
    digits = [d for d in range(1, 10) if d * low < high]
    lead = digits[_weighted(rng, _LEADING[: len(digits)])]
    lo_cents, hi_cents = lead * low * 100, min((lead + 1) * low, high) * 100
    return BaseUnits(rng.randrange(lo_cents, hi_cents) * _CENT)


def _identities(
    rng: random.Random, wallets: Sequence[str], restricted: Sequence[int], restricted_share_ppm: int
) -> list[DemoIdentity]:
    """Group wallets into entities (about one in five owns 2-3 wallets) and give each entity a country.

    When ``restricted_share_ppm`` is positive, about that share of the entities (at least one, never all)
    lives in a restricted country.
    """
    order = list(wallets)
    rng.shuffle(order)
    groups: list[list[str]] = []
    i = 0
    while i < len(order):
        size = 1 if rng.randrange(5) else rng.choice((2, 3))
        groups.append(order[i : i + size])
        i += size
    restricted_entities = 0
    if restricted_share_ppm:
        if len(groups) < 2:  # need at least one restricted and one other entity
            groups = [[w] for w in order]
        rounded = (len(groups) * restricted_share_ppm + RATE_SCALE // 2) // RATE_SCALE
        restricted_entities = min(max(1, rounded), len(groups) - 1)
    used: set[int] = set()
    out: list[DemoIdentity] = []
    for g, group in enumerate(groups):
        entity = rng.randrange(1, 2**64)
        while entity in used:
            entity = rng.randrange(1, 2**64)
        used.add(entity)
        if g < restricted_entities:
            country = rng.choice(restricted)
        else:
            country = _COUNTRIES[_weighted(rng, [w for _, w in _COUNTRIES])][0]
        out.extend(DemoIdentity(w, entity, country) for w in group)
    return out


def _flip_case(wallet: str) -> str:
    """The wallet with one letter's case flipped: always fails EIP-55 (each letter's case is checksummed)."""
    body = wallet[2:]
    for i, ch in enumerate(body):
        if ch.isalpha():
            return "0x" + body[:i] + ch.swapcase() + body[i + 1 :]
    return "0x" + "aB" + body[2:]  # no letter at all (vanishingly rare): force a wrong mixed case


def generate_schedule(
    wallets: Sequence[str],
    *,
    n: int = 1_000,
    seed: int = 2025,
    estate_id: int = 1,
    restricted_countries: frozenset[int] = DEFAULT_RESTRICTED_COUNTRIES,
    restricted_share_ppm: int = 80_000,
    plant_bad_rows: bool = True,
) -> DemoSchedule:
    """Generate ``n`` valid claims for ``wallets`` (plus planted bad rows), deterministically from ``seed``.

    Args:
        wallets: EIP-55 addresses the demo controls; claims are spread over them (at least 2 when any
            restricted share is asked for: one restricted entity, one other).
        n: how many valid claims.
        seed: the random seed; same inputs, same bytes.
        estate_id: the estate every claim belongs to (classes ``ClassScheme.default((estate_id,))``).
        restricted_countries: restricted jurisdictions; some entities live in them.
        restricted_share_ppm: the share of claims held by restricted-jurisdiction wallets (ppm, ~8%).
        plant_bad_rows: add the bad rows listed in :attr:`DemoSchedule.planted`.

    Raises:
        ValueError: wallets missing, duplicated, not checksummed or zero; ``n`` < 1; shares out of range.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    if not wallets:
        raise ValueError("at least one wallet is needed")
    if len(set(wallets)) != len(wallets):
        raise ValueError("wallets must be distinct")
    for w in wallets:
        if not is_checksum_address(w) or int(w, 16) == 0:
            raise ValueError(f"wallet {w!r} is not a non-zero EIP-55 checksummed address")
    if not 0 <= restricted_share_ppm <= RATE_SCALE:
        raise ValueError(f"restricted_share_ppm must be in 0..{RATE_SCALE}")
    restricted = sorted(restricted_countries)
    if restricted_share_ppm and not restricted:
        raise ValueError("a restricted share needs at least one restricted country")
    if restricted_share_ppm and len(wallets) < 2:
        raise ValueError("a restricted share needs at least 2 wallets (one restricted entity, one other)")

    rng = random.Random(seed)  # noqa: S311 - demo data, not cryptography
    classes = ClassScheme.default((estate_id,))
    identities = _identities(rng, wallets, restricted, restricted_share_ppm)
    restricted_ids = [i for i in identities if i.country in restricted_countries]
    other_ids = [i for i in identities if i.country not in restricted_countries]
    if restricted_share_ppm and (not restricted_ids or not other_ids):
        raise AssertionError("identities must include restricted and other entities")

    numbers: set[int] = set()

    def claim_number() -> str:
        num = rng.randrange(10_000, 10_000_000)
        while num in numbers:
            num = rng.randrange(10_000, 10_000_000)
        numbers.add(num)
        return f"FTX-{num:07d}"

    rows: list[ScheduleRow] = []
    records: list[dict[str, str]] = []
    for _ in range(n):
        pool = restricted_ids if rng.randrange(RATE_SCALE) < restricted_share_ppm else other_ids or restricted_ids
        who = pool[rng.randrange(len(pool))]
        number = claim_number()
        amount = _amount(rng)
        claim_class = classes.classify(estate_id, amount)
        if claim_class is None:
            raise AssertionError("the default scheme has both classes for the estate")
        scheduled = ClaimStatus.Disputed if rng.randrange(RATE_SCALE) < _EXPLICIT_DISPUTE_PPM else None
        status, reason = scheduled or ClaimStatus.Allowed, ""
        if who.country in restricted_countries:
            status, reason = ClaimStatus.Disputed, f"restricted jurisdiction (country {who.country:03d})"
        row = ScheduleRow(
            claim_number=number,
            estate_id=estate_id,
            creditor_wallet=who.wallet,
            entity_id=who.entity_id,
            country=who.country,
            allowed_amount=amount,
            claim_class=claim_class,
            status=status,
            evidence_hash=bytes(keccak(text=f"evidence:{estate_id}:{number}")),
            status_reason=reason,
        )
        record = to_record(row)
        record["class"] = ""  # derived from the amount by the validator
        record["status"] = scheduled.name.lower() if scheduled else ""  # restriction is the validator's job
        rows.append(row)
        records.append(record)

    bad = _bad_records(rng, rows, claim_number) if plant_bad_rows else []

    # Insert the bad records at random places; one that conflicts with a valid row goes after it.
    positions: list[tuple[int, dict[str, str], str, str]] = []
    for record, fld, kind, after in bad:
        positions.append((rng.randrange(after + 1, n + 1), record, fld, kind))
    positions.sort(key=lambda p: p[0])

    file_records: list[dict[str, str]] = []
    planted: list[PlantedBadRow] = []
    valid_rows: list[ScheduleRow] = []
    cursor = 0
    for pos, record, fld, kind in [*positions, (n, {}, "", "")]:
        while cursor < pos:
            file_records.append(records[cursor])
            valid_rows.append(replace(rows[cursor], row=len(file_records) + 1))
            cursor += 1
        if record:
            file_records.append(record)
            planted.append(PlantedBadRow(len(file_records) + 1, len(file_records), fld, kind))

    json_records: list[dict[str, object]] = []
    for rec in file_records:
        jrec: dict[str, object] = dict(rec)
        for key in ("class", "status"):
            if jrec[key] == "":
                del jrec[key]
        json_records.append(jrec)

    return DemoSchedule(
        rows=tuple(valid_rows),
        identities=tuple(identities),
        planted=tuple(planted),
        csv=render_csv_records(file_records),
        json=render_json_records(json_records),
        classes=classes,
        restricted_countries=frozenset(restricted_countries),
    )


def _bad_records(
    rng: random.Random, rows: Sequence[ScheduleRow], claim_number: Callable[[], str]
) -> list[tuple[dict[str, str], str, str, int]]:
    """One bad record per "bad input file" kind.

    Each is (record, the field the validator must name, description, index of the valid row it must follow
    or -1): a record that conflicts with a valid row is only wrong once that row has been seen.
    """

    def base() -> dict[str, str]:
        template = rows[rng.randrange(len(rows))]
        rec = to_record(template)
        rec["claim_number"] = claim_number()
        rec["class"] = ""
        rec["status"] = ""
        return rec

    out: list[tuple[dict[str, str], str, str, int]] = []

    def plant(fld: str, value: str, kind: str) -> None:
        rec = base()
        rec[fld] = value
        out.append((rec, fld, kind, -1))

    original = rng.randrange(len(rows))
    dup = base()
    dup["claim_number"] = rows[original].claim_number
    out.append((dup, "claim_number", "duplicate claim number", original))

    plant("allowed_amount_usd", "-1500.00", "negative amount")
    plant("allowed_amount_usd", "0.00", "zero amount")
    plant("allowed_amount_usd", "1234.5678901", "7 decimal places (fraction of a base unit)")
    plant("allowed_amount_usd", "1e5", "exponent notation")
    plant("allowed_amount_usd", "1,250.00", "thousands separator")
    plant("allowed_amount_usd", "80000000000000000000000", "amount past uint96")
    plant("creditor_wallet", _flip_case(rows[rng.randrange(len(rows))].creditor_wallet), "bad EIP-55 checksum")
    plant("creditor_wallet", _ZERO_ADDRESS, "zero address")
    plant("creditor_wallet", "0x12345", "malformed address")
    plant("country", "0", "country code 0")
    plant("evidence_hash", "0x1234", "short evidence hash")

    owner = rows[rng.randrange(len(rows))]
    first = next(i for i, r in enumerate(rows) if r.creditor_wallet == owner.creditor_wallet)
    conflict = base()
    conflict["creditor_wallet"] = owner.creditor_wallet
    conflict["country"] = f"{owner.country:03d}"
    conflict["entity_id"] = str(owner.entity_id % (2**64 - 1) + 1)  # a different, valid entity
    out.append((conflict, "creditor_wallet", "wallet already belongs to another entity", first))
    return out
