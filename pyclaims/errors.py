"""One exception root for the whole SDK, and one exception class per contract custom error.

Every error the SDK raises is a :class:`PyclaimsError`. A contract revert is a :class:`ContractError`,
decoded from the revert data by its 4-byte selector (:func:`decode_revert`) into the class named exactly like
the Solidity error, with the error's parameters as typed attributes named like the Solidity parameters in
snake_case (``ClaimTokenClaimExists(bytes32 claimRef, uint256 claimId)`` gives ``.claim_ref: bytes`` and
``.claim_id: int``; addresses are EIP-55 ``str``, ``bytes32`` is ``bytes``, integers are ``int``)::

    PyclaimsError
    ├── ContractError                  a contract reverted (attributes: data, selector, values, tx_hash)
    │   ├── ClaimTokenError            one subclass per ClaimToken error (ClaimTokenNotAttested, ...)
    │   ├── ClaimMarketError           one subclass per ClaimMarket error (ClaimMarketOrderFilled, ...)
    │   ├── ClaimDistributorError      one subclass per ClaimDistributor error (ClaimDistributorWithheld, ...)
    │   ├── MockUSDCError              one subclass per MockUSDC error (MockUSDCBlacklisted, ...)
    │   ├── OpenZeppelinError          AccessControl*, ERC721*, ECDSA*, SafeERC20FailedOperation,
    │   │                              ReentrancyGuardReentrantCall, SafeCastOverflowedUintDowncast, ...
    │   ├── RevertWithReason           Error(string): a require with a message (other contracts)
    │   ├── PanicError                 Panic(uint256): an assert, an overflow, a division by zero, ...
    │   └── UnknownContractError       revert data no class here knows (or none at all)
    ├── DeploymentError (ValueError)   a deployment file is missing, malformed, or for another network
    ├── MintingError                   mint_schedule refused to start (pyclaims.minting)
    ├── ReconciliationError            a round does not balance to the base unit (pyclaims.distributions)
    ├── ScheduleError (ValueError)     a claims schedule row/field (pyclaims.schedule)
    ├── AmountFormatError (ValueError) a USD amount string (pyclaims.types)
    ├── ClassSchemeError (ValueError)  a class scheme (pyclaims.types)
    ├── ValuationError (ValueError)    valuation inputs (pyclaims.valuation)
    ├── OfferError (ValueError)        an order or offer document (pyclaims.offers)
    ├── Eip712Error (ValueError)       a typed-data value or signature (pyclaims.eip712)
    ├── TxError                        sending (pyclaims.tx): WrongChainError, WrongCodeError, JournalError,
    │                                  SendRejectedError, SendUncertainError, WouldRevertError,
    │                                  TransactionFailedError, StuckTransactionError, DroppedTransactionError
    ├── IndexerError                   the event indexer (pyclaims.indexer): ReorgTooDeepError
    └── RpcError                       the node answered a JSON-RPC call with an error (pyclaims._rpc)

The contract error classes are written out below, one per error in the shipped ABIs
(``pyclaims/abi/*.json``); ``tests/sdk/test_errors.py`` checks that every error of the ABIs has its class with
the same signature and parameter names, and that each round-trips through :meth:`ContractError.encode` and
:func:`decode_revert`.

This module imports nothing from the package (every other module may import it).
"""

# The contract errors keep their Solidity names exactly (no "Error" suffix), so that a revert reads the same in
# Solidity, in forge traces and here.
# ruff: noqa: N818

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

__all__ = [
    "ERRORS",
    "PANIC_CODES",
    "AccessControlBadConfirmation",
    "AccessControlUnauthorizedAccount",
    "ClaimDistributorAlreadySettled",
    "ClaimDistributorError",
    "ClaimDistributorLengthMismatch",
    "ClaimDistributorNotEntitled",
    "ClaimDistributorNotResolved",
    "ClaimDistributorRateNotIncreasing",
    "ClaimDistributorShortFunding",
    "ClaimDistributorUnauthorized",
    "ClaimDistributorUnknownRound",
    "ClaimDistributorWithheld",
    "ClaimDistributorWrongClass",
    "ClaimMarketClaimMismatch",
    "ClaimMarketDepositOverflow",
    "ClaimMarketDepositTooSmall",
    "ClaimMarketEmptyBatch",
    "ClaimMarketError",
    "ClaimMarketFillExceedsOrder",
    "ClaimMarketInvalidOrder",
    "ClaimMarketInvalidSignature",
    "ClaimMarketNonCanonicalOrder",
    "ClaimMarketNotDepositor",
    "ClaimMarketNotMaker",
    "ClaimMarketNothingToWithdraw",
    "ClaimMarketOrderCancelled",
    "ClaimMarketOrderExpired",
    "ClaimMarketOrderFilled",
    "ClaimMarketPermitExpired",
    "ClaimMarketPermitFailed",
    "ClaimMarketStaleCounter",
    "ClaimMarketWrongSide",
    "ClaimMarketWrongTaker",
    "ClaimMarketZeroDeposit",
    "ClaimTokenAttestationExpired",
    "ClaimTokenBadRecordHint",
    "ClaimTokenClaimExists",
    "ClaimTokenClaimExpunged",
    "ClaimTokenClassExists",
    "ClaimTokenEntityMismatch",
    "ClaimTokenError",
    "ClaimTokenInvalidClaimRef",
    "ClaimTokenInvalidClass",
    "ClaimTokenInvalidCountry",
    "ClaimTokenInvalidEntity",
    "ClaimTokenInvalidExpiry",
    "ClaimTokenInvalidNonce",
    "ClaimTokenInvalidStatus",
    "ClaimTokenJurisdictionRestricted",
    "ClaimTokenNotAttested",
    "ClaimTokenNotOfRecord",
    "ClaimTokenNotPaused",
    "ClaimTokenNotTransferable",
    "ClaimTokenOnlyDistributor",
    "ClaimTokenOnlyMarket",
    "ClaimTokenPaused",
    "ClaimTokenSignatureExpired",
    "ClaimTokenUnauthorizedSigner",
    "ClaimTokenUnknownClass",
    "ClaimTokenZeroAddress",
    "ClaimTokenZeroAmount",
    "ContractError",
    "DeploymentError",
    "ECDSAInvalidSignature",
    "ECDSAInvalidSignatureLength",
    "ECDSAInvalidSignatureS",
    "ERC721IncorrectOwner",
    "ERC721InsufficientApproval",
    "ERC721InvalidApprover",
    "ERC721InvalidOperator",
    "ERC721InvalidOwner",
    "ERC721InvalidReceiver",
    "ERC721InvalidSender",
    "ERC721NonexistentToken",
    "InvalidShortString",
    "MintingError",
    "MockUSDCAmountTooLarge",
    "MockUSDCBlacklisted",
    "MockUSDCError",
    "MockUSDCInsufficientAllowance",
    "MockUSDCInsufficientBalance",
    "MockUSDCInvalidPermit",
    "MockUSDCNotOwner",
    "MockUSDCPaused",
    "MockUSDCPermitExpired",
    "MockUSDCZeroAddress",
    "OpenZeppelinError",
    "PanicError",
    "PyclaimsError",
    "ReconciliationError",
    "ReentrancyGuardReentrantCall",
    "RevertWithReason",
    "SafeCastOverflowedUintDowncast",
    "SafeERC20FailedOperation",
    "StringTooLong",
    "UnknownContractError",
    "decode_revert",
    "error_class",
]


class PyclaimsError(Exception):
    """The root of every error the pyclaims SDK raises."""


class DeploymentError(PyclaimsError, ValueError):
    """A deployment file is missing or malformed, or does not match the chain it is used on.

    Attributes:
        path: the file concerned, when there is one.
        field: the JSON key concerned (``"addresses.token"``), or ``"(file)"``.
        reason: what is wrong.
    """

    def __init__(self, field: str, reason: str, *, path: str | None = None) -> None:
        self.path = path
        self.field = field
        self.reason = reason
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{field}: {reason}")


class MintingError(PyclaimsError):
    """:func:`pyclaims.minting.mint_schedule` refused to start: nothing was signed.

    Attributes:
        reason: why.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ReconciliationError(PyclaimsError):
    """A distribution round does not balance to the base unit.

    Attributes:
        round_id: the round.
        reason: which equality failed, with the numbers.
    """

    def __init__(self, round_id: int, reason: str) -> None:
        self.round_id = round_id
        self.reason = reason
        super().__init__(f"round {round_id}: {reason}")


# ------------------------------------------------------------------------------------------------ contract errors

_REGISTRY: dict[bytes, type[ContractError]] = {}

PANIC_CODES: Final[Mapping[int, str]] = {
    0x00: "generic compiler panic",
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "conversion to an invalid enum value",
    0x22: "incorrectly encoded storage byte array",
    0x31: "pop() on an empty array",
    0x32: "array index out of bounds",
    0x41: "too much memory allocated",
    0x51: "call to a zero-initialized internal function",
}
"""Solidity ``Panic(uint256)`` codes and what they mean."""


def _show(value: object) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)


def _normalize(kind: str, value: Any) -> Any:
    if kind == "address":
        return to_checksum_address(value)
    if kind.startswith("bytes") and isinstance(value, bytes | bytearray):
        return bytes(value)
    return value


def _rebuild(cls: type[ContractError], values: tuple[Any, ...], data: bytes) -> ContractError:
    return cls(*values, data=data)


class ContractError(PyclaimsError):
    """A contract reverted. Subclasses are the contracts' custom errors, decoded by :func:`decode_revert`.

    Build one with the error's values, positionally or by (snake_case) name:
    ``ClaimTokenNotAttested(wallet)`` or ``ClaimTokenNotAttested(wallet=...)``.

    Class attributes:
        signature: the Solidity signature, ``"ClaimTokenClaimExists(bytes32,uint256)"``.
        fields: the parameter names, snake_case, in order (``("claim_ref", "claim_id")``).
        types: the parameter types, in order.
        selector: the 4-byte selector.

    Attributes:
        values: the parameter values, in order (also set as attributes named by :attr:`fields`).
        data: the revert data (selector and ABI-encoded values).
        tx_hash: the transaction that reverted (``0x`` hex), when the revert came from a mined transaction.
    """

    signature: ClassVar[str] = ""
    solidity_name: ClassVar[str] = ""
    fields: ClassVar[tuple[str, ...]] = ()
    types: ClassVar[tuple[str, ...]] = ()
    selector: ClassVar[bytes] = b""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "signature" not in cls.__dict__ or not cls.signature:
            return
        name, paren, rest = cls.signature.partition("(")
        if not paren or not rest.endswith(")"):
            raise TypeError(f"{cls.__name__}.signature: malformed {cls.signature!r}")
        if name != (cls.__dict__.get("solidity_name") or cls.__name__):
            raise TypeError(f"{cls.__name__}.signature: names {name!r}, not the class")
        types = tuple(t for t in rest[:-1].split(",") if t)
        if len(types) != len(cls.fields):
            raise TypeError(f"{cls.__name__}: {len(types)} types in the signature, {len(cls.fields)} fields")
        cls.solidity_name = name
        cls.types = types
        cls.selector = bytes(keccak(text=cls.signature)[:4])
        if cls.selector in _REGISTRY:
            raise TypeError(
                f"{cls.__name__}: selector 0x{cls.selector.hex()} already taken by {_REGISTRY[cls.selector]}"
            )
        _REGISTRY[cls.selector] = cls

    def __init__(self, *values: Any, data: bytes | None = None, **named: Any) -> None:
        fields = type(self).fields
        if len(values) > len(fields):
            raise TypeError(f"{type(self).__name__}: expected at most {len(fields)} values, got {len(values)}")
        merged = dict(zip(fields, values, strict=False))
        for key, value in named.items():
            if key not in fields:
                raise TypeError(f"{type(self).__name__}: unknown field {key!r} (fields: {', '.join(fields) or 'none'})")
            if key in merged:
                raise TypeError(f"{type(self).__name__}: {key!r} given twice")
            merged[key] = value
        missing = [f for f in fields if f not in merged]
        if missing:
            raise TypeError(f"{type(self).__name__}: missing {', '.join(missing)}")
        self.values: tuple[Any, ...] = tuple(
            _normalize(kind, merged[f]) for f, kind in zip(fields, type(self).types, strict=True)
        )
        for field, value in zip(fields, self.values, strict=True):
            setattr(self, field, value)
        self.data: bytes = bytes(data) if data is not None else self.encode()
        self.tx_hash: str | None = None
        super().__init__(self._message())

    def _message(self) -> str:
        shown = ", ".join(f"{f}={_show(v)}" for f, v in zip(type(self).fields, self.values, strict=True))
        doc = (type(self).__doc__ or "").strip().split("\n", 1)[0]
        return f"{type(self).solidity_name or type(self).__name__}({shown})" + (f": {doc}" if doc else "")

    def encode(self) -> bytes:
        """The revert data of this error: selector and ABI-encoded values."""
        return type(self).selector + abi_encode(list(type(self).types), list(self.values))

    def as_dict(self) -> dict[str, Any]:
        """``{"error": name, field: value, ...}`` with bytes as ``0x`` hex (for ``--json`` output)."""
        out: dict[str, Any] = {"error": type(self).solidity_name or type(self).__name__}
        for field, value in zip(type(self).fields, self.values, strict=True):
            out[field] = "0x" + value.hex() if isinstance(value, bytes) else value
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.values, self.data))


class ClaimTokenError(ContractError):
    """A ``ClaimToken`` custom error (identity, classes, claims, holder of record)."""


class ClaimMarketError(ContractError):
    """A ``ClaimMarket`` custom error (orders, fills, escrow)."""


class ClaimDistributorError(ContractError):
    """A ``ClaimDistributor`` custom error (rounds, payouts, withheld money)."""


class MockUSDCError(ContractError):
    """A ``MockUSDC`` custom error (the local test stablecoin)."""


class OpenZeppelinError(ContractError):
    """An OpenZeppelin Contracts 5 error our contracts can raise (access control, ERC-721, ECDSA, SafeERC20...)."""


class RevertWithReason(ContractError):
    """``Error(string)``: a ``require`` with a message or ``revert("...")`` (not used by our contracts)."""

    signature = "Error(string)"
    solidity_name = "Error"
    fields = ("reason",)
    reason: builtins.str


class PanicError(ContractError):
    """``Panic(uint256)``: an assert, an arithmetic overflow, a division by zero... (see :data:`PANIC_CODES`)."""

    signature = "Panic(uint256)"
    solidity_name = "Panic"
    fields = ("code",)
    code: int

    def _message(self) -> str:
        return f"Panic(0x{self.code:02x}): {PANIC_CODES.get(self.code, 'unknown panic code')}"


class UnknownContractError(ContractError):
    """A revert whose data no class here knows: an unknown selector, undecodable values, or no data at all.

    Attributes:
        data: the raw revert data.
        reason: why it could not be decoded.
    """

    def __init__(self, data: bytes = b"", *, reason: str = "") -> None:
        self.reason = reason or ("no revert data" if not data else f"unknown selector 0x{bytes(data[:4]).hex()}")
        self._raw = bytes(data)
        super().__init__(data=bytes(data))

    def _message(self) -> str:
        shown = (
            f"0x{self._raw.hex()}" if len(self._raw) <= 68 else f"0x{self._raw[:68].hex()}... ({len(self._raw)} bytes)"
        )
        return f"contract reverted: {self.reason} (data {shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (UnknownContractError, (self._raw,), {"reason": self.reason})


def decode_revert(data: bytes | bytearray | str | None) -> ContractError:
    """Decode revert data into its :class:`ContractError` subclass (by 4-byte selector).

    ``data`` may be bytes or ``0x`` hex. Data no class knows (or that does not decode) gives an
    :class:`UnknownContractError` holding it; this function never raises for any input of those types.
    """
    if data is None:
        return UnknownContractError(b"")
    if isinstance(data, str):
        text = data[2:] if data[:2] in ("0x", "0X") else data
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            return UnknownContractError(b"", reason=f"revert data is not hex: {data[:40]!r}")
    else:
        raw = bytes(data)
    if len(raw) < 4:
        return UnknownContractError(raw)
    cls = _REGISTRY.get(raw[:4])
    if cls is None:
        return UnknownContractError(raw)
    try:
        values = abi_decode(list(cls.types), raw[4:], strict=True)
    except Exception as exc:  # eth_abi raises several decoding error types
        return UnknownContractError(raw, reason=f"{cls.solidity_name} data does not decode: {exc}")
    return cls(*values, data=raw)


def error_class(name_or_selector: str | bytes) -> type[ContractError]:
    """The class of a contract error by Solidity name (``"ClaimTokenPaused"``) or 4-byte selector."""
    if isinstance(name_or_selector, bytes):
        try:
            return _REGISTRY[name_or_selector]
        except KeyError:
            raise KeyError(f"no error with selector 0x{name_or_selector.hex()}") from None
    for cls in _REGISTRY.values():
        if cls.solidity_name == name_or_selector:
            return cls
    raise KeyError(f"no contract error named {name_or_selector!r}")


# ---------------------------------------------------------------------------------------------------- ClaimToken


class ClaimTokenAttestationExpired(ClaimTokenError):
    """The wallet's attestation has expired."""

    signature = "ClaimTokenAttestationExpired(address,uint40)"
    fields = ("wallet", "expiry")
    wallet: str
    expiry: int


class ClaimTokenBadRecordHint(ClaimTokenError):
    """``hint`` is not the index of the record that covers round ``round_id``."""

    signature = "ClaimTokenBadRecordHint(uint256,uint32,uint256)"
    fields = ("claim_id", "round_id", "hint")
    claim_id: int
    round_id: int
    hint: int


class ClaimTokenClaimExists(ClaimTokenError):
    """This claim reference is already minted, as ``claim_id``."""

    signature = "ClaimTokenClaimExists(bytes32,uint256)"
    fields = ("claim_ref", "claim_id")
    claim_ref: bytes
    claim_id: int


class ClaimTokenClaimExpunged(ClaimTokenError):
    """The claim is Expunged: final."""

    signature = "ClaimTokenClaimExpunged(uint256)"
    fields = ("claim_id",)
    claim_id: int


class ClaimTokenClassExists(ClaimTokenError):
    """The class is already defined (a class is defined once)."""

    signature = "ClaimTokenClassExists(uint32)"
    fields = ("class_id",)
    class_id: int


class ClaimTokenEntityMismatch(ClaimTokenError):
    """Recovery moves a claim only to another wallet of the same entity."""

    signature = "ClaimTokenEntityMismatch(address,address)"
    fields = ("from_", "to")
    from_: str
    to: str


class ClaimTokenInvalidClaimRef(ClaimTokenError):
    """A claim reference must be non-zero."""

    signature = "ClaimTokenInvalidClaimRef()"


class ClaimTokenInvalidClass(ClaimTokenError):
    """Class ids start at 1, and a class is defined once."""

    signature = "ClaimTokenInvalidClass(uint32)"
    fields = ("class_id",)
    class_id: int


class ClaimTokenInvalidCountry(ClaimTokenError):
    """Country codes are ISO 3166-1 numeric, 1..999."""

    signature = "ClaimTokenInvalidCountry(uint16)"
    fields = ("country",)
    country: int


class ClaimTokenInvalidEntity(ClaimTokenError):
    """Entity ids start at 1."""

    signature = "ClaimTokenInvalidEntity(uint64)"
    fields = ("entity_id",)
    entity_id: int


class ClaimTokenInvalidExpiry(ClaimTokenError):
    """An attestation must expire in the future."""

    signature = "ClaimTokenInvalidExpiry(uint40,uint256)"
    fields = ("expiry", "now_timestamp")
    expiry: int
    now_timestamp: int


class ClaimTokenInvalidNonce(ClaimTokenError):
    """A signed request named a nonce other than the wallet's current one."""

    signature = "ClaimTokenInvalidNonce(address,uint32,uint32)"
    fields = ("wallet", "expected", "given")
    wallet: str
    expected: int
    given: int


class ClaimTokenInvalidStatus(ClaimTokenError):
    """The status is not one the operation accepts."""

    signature = "ClaimTokenInvalidStatus(uint8)"
    fields = ("status",)
    status: int


class ClaimTokenJurisdictionRestricted(ClaimTokenError):
    """The wallet's country is in the restricted-jurisdiction set."""

    signature = "ClaimTokenJurisdictionRestricted(address,uint16)"
    fields = ("wallet", "country")
    wallet: str
    country: int


class ClaimTokenNotAttested(ClaimTokenError):
    """The wallet has no attestation (never attested or revoked)."""

    signature = "ClaimTokenNotAttested(address)"
    fields = ("wallet",)
    wallet: str


class ClaimTokenNotOfRecord(ClaimTokenError):
    """The claim did not exist when round ``round_id`` was declared."""

    signature = "ClaimTokenNotOfRecord(uint256,uint32)"
    fields = ("claim_id", "round_id")
    claim_id: int
    round_id: int


class ClaimTokenNotPaused(ClaimTokenError):
    """The token is not paused, so it cannot be unpaused."""

    signature = "ClaimTokenNotPaused()"


class ClaimTokenNotTransferable(ClaimTokenError):
    """The claim is not Allowed, so it cannot move."""

    signature = "ClaimTokenNotTransferable(uint256,uint8)"
    fields = ("claim_id", "status")
    claim_id: int
    status: int


class ClaimTokenOnlyDistributor(ClaimTokenError):
    """Only the distributor the token created may open rounds."""

    signature = "ClaimTokenOnlyDistributor(address)"
    fields = ("caller",)
    caller: str


class ClaimTokenOnlyMarket(ClaimTokenError):
    """Only the market the token created may settle."""

    signature = "ClaimTokenOnlyMarket(address)"
    fields = ("caller",)
    caller: str


class ClaimTokenPaused(ClaimTokenError):
    """Claims do not move (and nothing is minted) while the token is paused."""

    signature = "ClaimTokenPaused()"


class ClaimTokenSignatureExpired(ClaimTokenError):
    """A signed request is past its deadline."""

    signature = "ClaimTokenSignatureExpired(uint64)"
    fields = ("deadline",)
    deadline: int


class ClaimTokenUnauthorizedSigner(ClaimTokenError):
    """The signer of a request does not hold the role it needs."""

    signature = "ClaimTokenUnauthorizedSigner(address,bytes32)"
    fields = ("signer", "role")
    signer: str
    role: bytes


class ClaimTokenUnknownClass(ClaimTokenError):
    """No class with this id is defined."""

    signature = "ClaimTokenUnknownClass(uint32)"
    fields = ("class_id",)
    class_id: int


class ClaimTokenZeroAddress(ClaimTokenError):
    """An address argument was the zero address. ``what`` names it."""

    signature = "ClaimTokenZeroAddress(string)"
    fields = ("what",)
    what: str


class ClaimTokenZeroAmount(ClaimTokenError):
    """Allowed amounts are positive."""

    signature = "ClaimTokenZeroAmount()"


# ---------------------------------------------------------------------------------------------------- ClaimMarket


class ClaimMarketClaimMismatch(ClaimMarketError):
    """The claim sold into a bid is not the one (or not of the class) the bid names."""

    signature = "ClaimMarketClaimMismatch(bytes32,uint256)"
    fields = ("order_hash", "claim_id")
    order_hash: bytes
    claim_id: int


class ClaimMarketDepositOverflow(ClaimMarketError):
    """The bid's deposit would exceed ``uint96``."""

    signature = "ClaimMarketDepositOverflow(bytes32)"
    fields = ("order_hash",)
    order_hash: bytes


class ClaimMarketDepositTooSmall(ClaimMarketError):
    """The deposit of an escrowed bid does not cover the payment."""

    signature = "ClaimMarketDepositTooSmall(bytes32,uint256,uint256)"
    fields = ("order_hash", "deposit", "payment")
    order_hash: bytes
    deposit: int
    payment: int


class ClaimMarketEmptyBatch(ClaimMarketError):
    """A batch fill with no fills."""

    signature = "ClaimMarketEmptyBatch()"


class ClaimMarketFillExceedsOrder(ClaimMarketError):
    """A class-bid fill would take the bid past its ``maxAmount``."""

    signature = "ClaimMarketFillExceedsOrder(bytes32,uint256,uint256,uint256)"
    fields = ("order_hash", "filled", "amount", "max_amount")
    order_hash: bytes
    filled: int
    amount: int
    max_amount: int


class ClaimMarketInvalidOrder(ClaimMarketError):
    """The order's fields do not form one of the three shapes (ask, bid, class bid). ``field`` names the problem."""

    signature = "ClaimMarketInvalidOrder(string)"
    fields = ("field",)
    field: str


class ClaimMarketInvalidSignature(ClaimMarketError):
    """The signature is not the maker's (ECDSA low-s, or ERC-1271 for a contract maker)."""

    signature = "ClaimMarketInvalidSignature(bytes32,address)"
    fields = ("order_hash", "maker")
    order_hash: bytes
    maker: str


class ClaimMarketNonCanonicalOrder(ClaimMarketError):
    """A narrow order field (address, uint8, uint32, uint64) carried dirty upper bits."""

    signature = "ClaimMarketNonCanonicalOrder()"


class ClaimMarketNotDepositor(ClaimMarketError):
    """Only the bid's depositor may withdraw its deposit."""

    signature = "ClaimMarketNotDepositor(bytes32,address)"
    fields = ("order_hash", "caller")
    order_hash: bytes
    caller: str


class ClaimMarketNotMaker(ClaimMarketError):
    """The caller is not the order's maker."""

    signature = "ClaimMarketNotMaker(bytes32,address,address)"
    fields = ("order_hash", "maker", "caller")
    order_hash: bytes
    maker: str
    caller: str


class ClaimMarketNothingToWithdraw(ClaimMarketError):
    """The deposit of this order is empty."""

    signature = "ClaimMarketNothingToWithdraw(bytes32)"
    fields = ("order_hash",)
    order_hash: bytes


class ClaimMarketOrderCancelled(ClaimMarketError):
    """The order was cancelled (or its deposit withdrawn)."""

    signature = "ClaimMarketOrderCancelled(bytes32)"
    fields = ("order_hash",)
    order_hash: bytes


class ClaimMarketOrderExpired(ClaimMarketError):
    """The order expired (fills need ``block.timestamp <= expiry``)."""

    signature = "ClaimMarketOrderExpired(bytes32,uint64)"
    fields = ("order_hash", "expiry")
    order_hash: bytes
    expiry: int


class ClaimMarketOrderFilled(ClaimMarketError):
    """A specific order fills once, and this one was filled."""

    signature = "ClaimMarketOrderFilled(bytes32)"
    fields = ("order_hash",)
    order_hash: bytes


class ClaimMarketPermitExpired(ClaimMarketError):
    """The permit is past its deadline."""

    signature = "ClaimMarketPermitExpired(uint256)"
    fields = ("deadline",)
    deadline: int


class ClaimMarketPermitFailed(ClaimMarketError):
    """The permit failed and the allowance does not cover ``needed`` either."""

    signature = "ClaimMarketPermitFailed(address,uint256,uint256)"
    fields = ("owner", "allowance", "needed")
    owner: str
    allowance: int
    needed: int


class ClaimMarketStaleCounter(ClaimMarketError):
    """The order's counter is not the maker's current counter (cancelled by a bump)."""

    signature = "ClaimMarketStaleCounter(bytes32,uint64,uint256)"
    fields = ("order_hash", "order_counter", "maker_counter")
    order_hash: bytes
    order_counter: int
    maker_counter: int


class ClaimMarketWrongSide(ClaimMarketError):
    """The order's ``side`` is not what the function fills."""

    signature = "ClaimMarketWrongSide(uint8,uint8)"
    fields = ("expected", "given")
    expected: int
    given: int


class ClaimMarketWrongTaker(ClaimMarketError):
    """The order names another taker."""

    signature = "ClaimMarketWrongTaker(bytes32,address,address)"
    fields = ("order_hash", "taker", "caller")
    order_hash: bytes
    taker: str
    caller: str


class ClaimMarketZeroDeposit(ClaimMarketError):
    """A deposit of zero, or one of which nothing arrived."""

    signature = "ClaimMarketZeroDeposit()"


# ---------------------------------------------------------------------------------------------------- ClaimDistributor


class ClaimDistributorAlreadySettled(ClaimDistributorError):
    """This (round, claim) was already paid, released or returned."""

    signature = "ClaimDistributorAlreadySettled(uint32,uint256)"
    fields = ("round_id", "claim_id")
    round_id: int
    claim_id: int


class ClaimDistributorLengthMismatch(ClaimDistributorError):
    """``claimIds`` and ``hints`` differ in length."""

    signature = "ClaimDistributorLengthMismatch(uint256,uint256)"
    fields = ("claims", "hints")
    claims: int
    hints: int


class ClaimDistributorNotEntitled(ClaimDistributorError):
    """The claim was expunged when the round was declared: no share of it was funded."""

    signature = "ClaimDistributorNotEntitled(uint32,uint256)"
    fields = ("round_id", "claim_id")
    round_id: int
    claim_id: int


class ClaimDistributorNotResolved(ClaimDistributorError):
    """A release needs the claim Allowed now; a return needs it Expunged."""

    signature = "ClaimDistributorNotResolved(uint256,uint8)"
    fields = ("claim_id", "status")
    claim_id: int
    status: int


class ClaimDistributorRateNotIncreasing(ClaimDistributorError):
    """A round's cumulative rate must exceed the class's previous one."""

    signature = "ClaimDistributorRateNotIncreasing(uint32,uint64,uint64)"
    fields = ("class_id", "previous", "given")
    class_id: int
    previous: int
    given: int


class ClaimDistributorShortFunding(ClaimDistributorError):
    """Less stablecoin arrived than the round's funding."""

    signature = "ClaimDistributorShortFunding(uint256,uint256)"
    fields = ("expected", "received")
    expected: int
    received: int


class ClaimDistributorUnauthorized(ClaimDistributorError):
    """The caller lacks the role (read from the token)."""

    signature = "ClaimDistributorUnauthorized(address,bytes32)"
    fields = ("caller", "role")
    caller: str
    role: bytes


class ClaimDistributorUnknownRound(ClaimDistributorError):
    """No round with this id was declared."""

    signature = "ClaimDistributorUnknownRound(uint32)"
    fields = ("round_id",)
    round_id: int


class ClaimDistributorWithheld(ClaimDistributorError):
    """The claim is (or was, at the round) disputed: only the resolver releases it."""

    signature = "ClaimDistributorWithheld(uint32,uint256)"
    fields = ("round_id", "claim_id")
    round_id: int
    claim_id: int


class ClaimDistributorWrongClass(ClaimDistributorError):
    """The claim is not of the round's class."""

    signature = "ClaimDistributorWrongClass(uint32,uint256,uint32)"
    fields = ("round_id", "claim_id", "claim_class")
    round_id: int
    claim_id: int
    claim_class: int


# ---------------------------------------------------------------------------------------------------- MockUSDC


class MockUSDCAmountTooLarge(MockUSDCError):
    """A mint would overflow the balance field."""

    signature = "MockUSDCAmountTooLarge(uint256)"
    fields = ("amount",)
    amount: int


class MockUSDCBlacklisted(MockUSDCError):
    """The account is blacklisted."""

    signature = "MockUSDCBlacklisted(address)"
    fields = ("account",)
    account: str


class MockUSDCInsufficientAllowance(MockUSDCError):
    """The allowance does not cover the transfer."""

    signature = "MockUSDCInsufficientAllowance(address,address,uint256,uint256)"
    fields = ("owner", "spender", "allowance", "needed")
    owner: str
    spender: str
    allowance: int
    needed: int


class MockUSDCInsufficientBalance(MockUSDCError):
    """The balance does not cover the transfer."""

    signature = "MockUSDCInsufficientBalance(address,uint256,uint256)"
    fields = ("account", "balance", "needed")
    account: str
    balance: int
    needed: int


class MockUSDCInvalidPermit(MockUSDCError):
    """The permit's signature is not the owner's."""

    signature = "MockUSDCInvalidPermit(address)"
    fields = ("owner",)
    owner: str


class MockUSDCNotOwner(MockUSDCError):
    """Only the issuer (owner) may do this."""

    signature = "MockUSDCNotOwner(address)"
    fields = ("caller",)
    caller: str


class MockUSDCPaused(MockUSDCError):
    """The stablecoin is paused."""

    signature = "MockUSDCPaused()"


class MockUSDCPermitExpired(MockUSDCError):
    """The permit is past its deadline."""

    signature = "MockUSDCPermitExpired(uint256)"
    fields = ("deadline",)
    deadline: int


class MockUSDCZeroAddress(MockUSDCError):
    """The zero address is not allowed here."""

    signature = "MockUSDCZeroAddress()"


# ---------------------------------------------------------------------------------------------------- OpenZeppelin


class AccessControlBadConfirmation(OpenZeppelinError):
    """The caller of a function is not the expected one (``renounceRole`` confirms the caller)."""

    signature = "AccessControlBadConfirmation()"


class AccessControlUnauthorizedAccount(OpenZeppelinError):
    """The ``account`` is missing a role."""

    signature = "AccessControlUnauthorizedAccount(address,bytes32)"
    fields = ("account", "needed_role")
    account: str
    needed_role: bytes


class ECDSAInvalidSignature(OpenZeppelinError):
    """The signature is invalid."""

    signature = "ECDSAInvalidSignature()"


class ECDSAInvalidSignatureLength(OpenZeppelinError):
    """The signature has an invalid length."""

    signature = "ECDSAInvalidSignatureLength(uint256)"
    fields = ("length",)
    length: int


class ECDSAInvalidSignatureS(OpenZeppelinError):
    """The signature has an S value that is in the upper half order."""

    signature = "ECDSAInvalidSignatureS(bytes32)"
    fields = ("s",)
    s: bytes


class ERC721IncorrectOwner(OpenZeppelinError):
    """``owner`` holds ``token_id``, not ``sender``."""

    signature = "ERC721IncorrectOwner(address,uint256,address)"
    fields = ("sender", "token_id", "owner")
    sender: str
    token_id: int
    owner: str


class ERC721InsufficientApproval(OpenZeppelinError):
    """``operator`` is not approved for ``token_id``."""

    signature = "ERC721InsufficientApproval(address,uint256)"
    fields = ("operator", "token_id")
    operator: str
    token_id: int


class ERC721InvalidApprover(OpenZeppelinError):
    """``approver`` may not approve (not the owner or an operator)."""

    signature = "ERC721InvalidApprover(address)"
    fields = ("approver",)
    approver: str


class ERC721InvalidOperator(OpenZeppelinError):
    """``operator`` cannot be an operator (the zero address)."""

    signature = "ERC721InvalidOperator(address)"
    fields = ("operator",)
    operator: str


class ERC721InvalidOwner(OpenZeppelinError):
    """``owner`` cannot be an owner (the zero address)."""

    signature = "ERC721InvalidOwner(address)"
    fields = ("owner",)
    owner: str


class ERC721InvalidReceiver(OpenZeppelinError):
    """``receiver`` cannot receive the token (the zero address, or a contract that refused it)."""

    signature = "ERC721InvalidReceiver(address)"
    fields = ("receiver",)
    receiver: str


class ERC721InvalidSender(OpenZeppelinError):
    """``sender`` cannot send the token."""

    signature = "ERC721InvalidSender(address)"
    fields = ("sender",)
    sender: str


class ERC721NonexistentToken(OpenZeppelinError):
    """No token (claim) with this id exists."""

    signature = "ERC721NonexistentToken(uint256)"
    fields = ("token_id",)
    token_id: int


class InvalidShortString(OpenZeppelinError):
    """A short string could not be decoded (EIP-712 name or version)."""

    signature = "InvalidShortString()"


class ReentrancyGuardReentrantCall(OpenZeppelinError):
    """Unauthorized reentrant call."""

    signature = "ReentrancyGuardReentrantCall()"


class SafeCastOverflowedUintDowncast(OpenZeppelinError):
    """Value doesn't fit in a uint of ``bits`` size."""

    signature = "SafeCastOverflowedUintDowncast(uint8,uint256)"
    fields = ("bits", "value")
    bits: int
    value: int


class SafeERC20FailedOperation(OpenZeppelinError):
    """An operation with an ERC-20 token failed."""

    signature = "SafeERC20FailedOperation(address)"
    fields = ("token",)
    token: str


class StringTooLong(OpenZeppelinError):
    """A string is too long for a short string."""

    signature = "StringTooLong(string)"
    fields = ("str",)
    str: builtins.str


ERRORS: Final[Mapping[bytes, type[ContractError]]] = _REGISTRY
"""Every known contract error class by 4-byte selector (the custom errors, ``Error(string)`` and ``Panic``)."""
