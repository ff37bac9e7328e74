"""Domain values read from and written to the contracts: frozen dataclasses, money in base units.

Everything here is a plain value: no connection, no I/O. The client (:mod:`pyclaims.client`) builds them from
chain state and events; the other SDK modules pass them around. Amounts are :data:`~pyclaims.types.BaseUnits`
(USDC base units, 1 USD = 1,000,000), statuses are :class:`~pyclaims.types.ClaimStatus`, addresses are EIP-55
strings, hashes and references are 32-byte ``bytes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from eth_utils.address import to_checksum_address

from pyclaims.errors import PyclaimsError
from pyclaims.schedule import ScheduleRow
from pyclaims.types import UINT32_MAX, UINT96_MAX, BaseUnits, ClaimStatus

__all__ = [
    "ATTESTATION_FLAGS",
    "FLAG_ACCREDITED",
    "FLAG_PAYOUT_READY",
    "FLAG_US_PERSON",
    "PAYOUT_SKIP_REASONS",
    "Attestation",
    "ChainEvent",
    "Claim",
    "ClassTotals",
    "DeclaredRound",
    "Deposit",
    "HolderRecord",
    "MintRequest",
    "MintedClaims",
    "OrderState",
    "PayoutKind",
    "PayoutRecord",
    "Permit",
    "Receipt",
    "RecordOfRound",
    "Round",
    "SettlementRecord",
    "SignedAttestation",
    "SignedValidation",
]

FLAG_US_PERSON: Final = 1 << 0
"""Attestation flag bit 0: a US person (data for integrators; not enforced on chain)."""
FLAG_ACCREDITED: Final = 1 << 1
"""Attestation flag bit 1: an accredited investor."""
FLAG_PAYOUT_READY: Final = 1 << 2
"""Attestation flag bit 2: payout details on file (recorded, not enforced on chain)."""
ATTESTATION_FLAGS: Final[Mapping[str, int]] = {
    "us_person": FLAG_US_PERSON,
    "accredited": FLAG_ACCREDITED,
    "payout_ready": FLAG_PAYOUT_READY,
}

PAYOUT_SKIP_REASONS: Final[Mapping[int, str]] = {
    1: "withheld (disputed)",
    2: "already settled",
    3: "not entitled, or a bad record hint",
    4: "wrong class",
    5: "the stablecoin refused the transfer",
}
"""``PayoutSkipped.reason`` codes of ``ClaimDistributor.payoutBatch``."""


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


# ------------------------------------------------------------------------------------------------ receipts


@dataclass(frozen=True)
class ChainEvent:
    """One decoded event of a pyclaims contract (or the stablecoin).

    Attributes:
        contract: ``"ClaimToken"``, ``"ClaimMarket"``, ``"ClaimDistributor"`` or ``"Stablecoin"``.
        name: the event name (``"ClaimMinted"``).
        args: the event's parameters by their Solidity names (addresses checksummed, bytes32 as bytes).
        address: the emitting contract.
        block_number: the block.
        tx_hash: the transaction (``0x`` hex).
        log_index: the log's index in the block.
    """

    contract: str
    name: str
    args: Mapping[str, Any] = field(hash=False)
    address: str
    block_number: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class Receipt:
    """A mined, successful transaction of the client and the events it emitted.

    Attributes:
        tx_hash: ``0x`` hex.
        block_number: the block it was mined in.
        gas_used: receipt ``gasUsed``.
        effective_gas_price: wei per gas paid.
        events: the decoded events of the pyclaims contracts and the stablecoin, in log order.
    """

    tx_hash: str
    block_number: int
    gas_used: int
    effective_gas_price: int
    events: tuple[ChainEvent, ...] = field(hash=False)

    def named(self, name: str) -> tuple[ChainEvent, ...]:
        """The events called ``name``, in log order."""
        return tuple(e for e in self.events if e.name == name)


# ------------------------------------------------------------------------------------------------ identity


@dataclass(frozen=True)
class Attestation:
    """A wallet's identity attestation (``ClaimToken.attestationOf``).

    Attributes:
        wallet: the wallet.
        entity_id: the creditor entity (0 = never attested).
        country: ISO 3166-1 numeric code.
        expiry: unix time; 0 = never attested or revoked.
        flags: :data:`ATTESTATION_FLAGS` bits.
        nonce: counts writes; a signed attestation must carry the current one.
    """

    wallet: str
    entity_id: int
    country: int
    expiry: int
    flags: int
    nonce: int

    @property
    def attested(self) -> bool:
        """Attested and not revoked (it may still have expired)."""
        return self.expiry != 0

    def valid_at(self, timestamp: int) -> bool:
        """Attested and unexpired at ``timestamp`` (the jurisdiction is checked separately, on chain)."""
        return self.expiry > timestamp


@dataclass(frozen=True)
class SignedAttestation:
    """An ``AttestationRequest`` signed offline by a verifier, for ``ClaimToken.attestBySig`` (anyone submits).

    Attributes:
        wallet, entity_id, country, expiry, flags: the attestation to write.
        nonce: the wallet's nonce at signing time (the request is void once the nonce moves).
        deadline: unix time after which the token refuses the request.
        signature: 65 bytes ``r ‖ s ‖ v`` by a holder of ``VERIFIER_ROLE``.
        chain_id, token: the domain the request was signed for.
    """

    wallet: str
    entity_id: int
    country: int
    expiry: int
    flags: int
    nonce: int
    deadline: int
    signature: bytes = field(repr=False)
    chain_id: int
    token: str

    def as_tuple(self) -> tuple[str, int, int, int, int, int, int]:
        """The ``AttestationRequest`` struct as the ABI encodes it."""
        return (self.wallet, self.entity_id, self.country, self.expiry, self.flags, self.nonce, self.deadline)


# ------------------------------------------------------------------------------------------------ claims


@dataclass(frozen=True)
class MintRequest:
    """A validated claim to mint (``ClaimToken.MintRequest``).

    Attributes:
        claim_ref: ``keccak256(utf8(estate ":" number))`` (32 bytes, not zero).
        class_id: a defined class.
        holder: an attested wallet.
        amount: the allowed amount in base units (1..2**96-1).
        status: ``Allowed`` or ``Disputed``.
        evidence: 32-byte hash of the evidence pack.
    """

    claim_ref: bytes
    class_id: int
    holder: str
    amount: BaseUnits
    status: ClaimStatus
    evidence: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.claim_ref, bytes) or len(self.claim_ref) != 32 or not any(self.claim_ref):
            raise _ModelError("claim_ref", "must be 32 non-zero bytes")
        if not isinstance(self.evidence, bytes) or len(self.evidence) != 32:
            raise _ModelError("evidence", "must be 32 bytes")
        class_id: object = self.class_id
        if isinstance(class_id, bool) or not isinstance(class_id, int) or not 0 < class_id <= UINT32_MAX:
            raise _ModelError("class_id", f"must be in 1..{UINT32_MAX}, got {self.class_id!r}")
        amount: object = self.amount
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= UINT96_MAX:
            raise _ModelError("amount", f"must be an int in 1..2**96-1 base units, got {self.amount!r}")
        status = ClaimStatus(self.status)
        if status is ClaimStatus.Expunged:
            raise _ModelError("status", "a claim is minted Allowed or Disputed, never Expunged")
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "holder", to_checksum_address(self.holder))

    @classmethod
    def from_row(cls, row: ScheduleRow) -> MintRequest:
        """The mint request of a validated schedule row."""
        return cls(
            claim_ref=row.claim_ref,
            class_id=row.class_id,
            holder=row.creditor_wallet,
            amount=row.allowed_amount,
            status=row.status,
            evidence=row.evidence_hash,
        )

    def as_tuple(self) -> tuple[bytes, int, str, int, int, bytes]:
        """The ``MintRequest`` struct as the ABI encodes it."""
        return (self.claim_ref, self.class_id, self.holder, int(self.amount), int(self.status), self.evidence)


class _ModelError(PyclaimsError, ValueError):
    def __init__(self, field_name: str, reason: str) -> None:
        self.field = field_name
        self.reason = reason
        super().__init__(f"{field_name}: {reason}")


@dataclass(frozen=True)
class SignedValidation:
    """A mint request signed offline by a validator (``Validation``), for ``ClaimToken.mintBySig``."""

    request: MintRequest
    deadline: int
    signature: bytes = field(repr=False)
    chain_id: int
    token: str


@dataclass(frozen=True)
class MintedClaims:
    """Claims a mint transaction created: ids in request order, and the receipt."""

    claim_ids: tuple[int, ...]
    claim_refs: tuple[bytes, ...]
    receipt: Receipt

    @property
    def claim_id(self) -> int:
        """The id of a single mint's claim."""
        if len(self.claim_ids) != 1:
            raise ValueError(f"claim_id: this transaction minted {len(self.claim_ids)} claims; use claim_ids")
        return self.claim_ids[0]


@dataclass(frozen=True)
class Claim:
    """A claim as the token holds it (``ClaimToken.claimOf``)."""

    claim_id: int
    holder: str
    class_id: int
    estate_id: int
    amount: BaseUnits
    status: ClaimStatus
    claim_ref: bytes
    evidence: bytes

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (amount as a decimal string of base units, bytes as hex)."""
        return {
            "claim_id": self.claim_id,
            "holder": self.holder,
            "class_id": self.class_id,
            "estate_id": self.estate_id,
            "amount_base_units": str(self.amount),
            "status": self.status.name,
            "claim_ref": _hex(self.claim_ref),
            "evidence": _hex(self.evidence),
        }


@dataclass(frozen=True)
class ClassTotals:
    """A class and its exact running totals (``ClaimToken.classOf``)."""

    class_id: int
    defined: bool
    estate_id: int
    claim_count: int
    total_allowed: BaseUnits
    disputed_allowed: BaseUnits


@dataclass(frozen=True)
class HolderRecord:
    """One entry of a claim's holder-of-record history (``recordOf``): true for rounds ``from < r <= to``."""

    holder: str
    amount: BaseUnits
    status: ClaimStatus
    from_epoch: int
    to_epoch: int

    def covers(self, round_id: int) -> bool:
        """Whether this record is the one for ``round_id``."""
        return self.from_epoch < round_id <= self.to_epoch


@dataclass(frozen=True)
class RecordOfRound:
    """Holder, amount and status of record of a claim for one round, with its current status (``recordAt``)."""

    claim_id: int
    round_id: int
    holder: str
    amount: BaseUnits
    record_status: ClaimStatus
    current_status: ClaimStatus
    class_id: int


# ------------------------------------------------------------------------------------------------ market


@dataclass(frozen=True)
class Permit:
    """An EIP-2612 permit of the stablecoin for the market (``ClaimMarket.Permit``)."""

    owner: str
    value: int
    deadline: int
    v: int
    r: bytes
    s: bytes

    def as_tuple(self) -> tuple[int, int, int, bytes, bytes]:
        """The ``Permit`` struct as the ABI encodes it."""
        return (self.value, self.deadline, self.v, self.r, self.s)


@dataclass(frozen=True)
class OrderState:
    """``ClaimMarket.orderState``: a specific order's ``filled_amount`` is 1 once filled; a class bid's is the
    allowed amount bought so far."""

    order_hash: bytes
    filled_amount: int
    cancelled: bool


@dataclass(frozen=True)
class Deposit:
    """The escrow of a bid (``ClaimMarket.depositOf``): ``buyer`` zero and ``amount`` 0 when none."""

    order_hash: bytes
    buyer: str
    amount: BaseUnits


@dataclass(frozen=True)
class SettlementRecord:
    """One fill, from its ``OrderFilled`` event (and ``DepositSpent`` when escrowed).

    Attributes:
        order_hash: the order's struct hash (the market's key).
        buyer: received the claim.
        seller: received exactly ``price``.
        claim_id: the claim.
        price: what the seller received, base units (for a class bid: ``floor(amount * price / 1e6)``).
        allowed_amount: the claim's allowed amount at the fill.
        escrowed: paid from the bid's deposit.
        gas_used: the gas of the whole transaction (a batch's fills share it).
        tx_hash: the transaction.
        block_number: its block.
        log_index: the ``OrderFilled`` log's index.
    """

    order_hash: bytes
    buyer: str
    seller: str
    claim_id: int
    price: BaseUnits
    allowed_amount: BaseUnits
    escrowed: bool
    gas_used: int
    tx_hash: str
    block_number: int
    log_index: int

    @property
    def price_ppm_of_allowed(self) -> int:
        """The price as parts per million of the allowed amount (floor)."""
        return self.price * 1_000_000 // self.allowed_amount if self.allowed_amount else 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "order_hash": _hex(self.order_hash),
            "buyer": self.buyer,
            "seller": self.seller,
            "claim_id": self.claim_id,
            "price_base_units": str(self.price),
            "allowed_amount_base_units": str(self.allowed_amount),
            "escrowed": self.escrowed,
            "gas_used": self.gas_used,
            "tx_hash": self.tx_hash,
            "block_number": self.block_number,
        }


# ------------------------------------------------------------------------------------------------ distributions


@dataclass(frozen=True)
class Round:
    """A distribution round (``ClaimDistributor.roundOf``).

    ``funded = ceil(total_allowed * rate_delta / 1e6)``; each (round, claim) is owed
    ``floor(amount * rate_delta / 1e6)``. ``paid`` is not stored on chain: it is the sum of the round's
    ``PayoutMade`` and ``PayoutReleased`` events (see :mod:`pyclaims.distributions`).
    """

    round_id: int
    class_id: int
    rate_delta: int
    cumulative_rate: int
    declared_at: int
    funder: str
    total_allowed: BaseUnits
    disputed_allowed: BaseUnits
    funded: BaseUnits
    returned: BaseUnits

    def share(self, amount: int) -> BaseUnits:
        """What a claim of allowed ``amount`` is owed in this round: ``floor(amount * rate_delta / 1e6)``."""
        return BaseUnits(amount * self.rate_delta // 1_000_000)


@dataclass(frozen=True)
class DeclaredRound:
    """A round a transaction declared, as read back after it was mined, and the receipt."""

    round: Round
    receipt: Receipt

    @property
    def round_id(self) -> int:
        """The new round's id."""
        return self.round.round_id


class PayoutKind:
    """What happened to a (round, claim): the ``kind`` of a :class:`PayoutRecord`."""

    PAID: Final = "paid"
    RELEASED: Final = "released"
    RETURNED: Final = "returned"
    SKIPPED: Final = "skipped"


@dataclass(frozen=True)
class PayoutRecord:
    """One (round, claim) settled or passed over by a transaction.

    Attributes:
        round_id, claim_id: the pair.
        kind: :class:`PayoutKind` (``paid``, ``released``, ``returned``, ``skipped``).
        recipient: the holder of record (paid / released), the round's funder (returned), or ``None`` (skipped).
        amount: base units moved (0 for skipped).
        skip_reason: ``PayoutSkipped.reason`` (see :data:`PAYOUT_SKIP_REASONS`) when skipped.
        tx_hash, block_number: the transaction.
        gas_used: the gas of the whole transaction (a batch's payouts share it).
    """

    round_id: int
    claim_id: int
    kind: str
    recipient: str | None
    amount: BaseUnits
    skip_reason: int | None
    tx_hash: str
    block_number: int
    gas_used: int
