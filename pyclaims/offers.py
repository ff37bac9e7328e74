"""Offers: build, sign, verify and exchange ``ClaimMarket`` orders (the "offer confirmation" step).

An :class:`Order` mirrors the EIP-712 ``Order`` type of ``docs/DESIGN.md`` field for field. Three shapes:

- :func:`ask`: side Ask, ``claimId`` = the claim sold, ``classId`` 0, ``price`` total, ``maxAmount`` 0;
- :func:`bid_for_claim`: side Bid, ``claimId`` = the claim bought, ``classId`` 0, ``price`` total,
  ``maxAmount`` 0;
- :func:`class_bid`: side Bid, ``claimId`` 0, ``classId`` = the class, ``price`` in base units per 1,000,000
  base units of allowed amount (:func:`payment_for` floors), ``maxAmount`` = the most allowed amount bought
  over all (partial) fills.

A :class:`SignedOrder` is an order with its maker's 65-byte ECDSA signature for one market on one chain. It
travels as a JSON document (:func:`to_json` / :func:`from_json`) that a buyer hands a seller::

    {"format": "pyclaims.offer", "version": 1, "chainId": "31337", "market": "0x...",
     "order": {"maker": "0x...", "taker": "0x...", "side": "1", "classId": "0", "claimId": "7",
               "price": "650000000", "maxAmount": "0", "expiry": "1767225600", "counter": "0",
               "salt": "..."},
     "orderHash": "0x...", "signature": "0x..."}

Every integer except ``version`` is a decimal string (JavaScript numbers lose precision past 2**53); addresses
are EIP-55 checksummed. Loading checks every field, refuses unknown or duplicate keys, and refuses a document
whose order hash or signature no longer matches its order (tampering). ``orderHash`` is the struct hash
the market keys the order's state on (:func:`order_hash`); the signature covers :func:`order_digest`.
Expiry is checked by :func:`verify_order`, not by loading: an expired offer is still a well-formed document.

Signing is fast: the market domain separator is cached, the struct is packed by hand, and libsecp256k1 signs
(see ``bench/bench_sign.py``).

Errors: :class:`OfferError` (a ``ValueError``) with ``field`` (the JSON path, or the parameter name) and
``reason``.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Final

from pyclaims.eip712 import (
    ZERO_ADDRESS,
    Domain,
    Eip712Error,
    LocalSigner,
    SignatureError,
    Signer,
    _keccak,
    _split,
    _struct_hash_order_unchecked,
    checksum_address,
    market_domain,
    recover,
)
from pyclaims.errors import PyclaimsError
from pyclaims.types import Side

__all__ = [
    "OFFER_FORMAT",
    "OFFER_FORMAT_VERSION",
    "PRICE_SCALE",
    "OfferError",
    "Order",
    "SignedOrder",
    "ask",
    "bid_for_claim",
    "class_bid",
    "from_json",
    "order_digest",
    "order_hash",
    "payment_for",
    "sign_order",
    "to_json",
    "verify_order",
]

PRICE_SCALE: Final = 1_000_000
"""Class-bid prices are base units paid per 1,000,000 base units of allowed amount (650,000 = 65%)."""

OFFER_FORMAT: Final = "pyclaims.offer"
OFFER_FORMAT_VERSION: Final = 1

_UINT256_BITS: Final = 256
_UINT128_MAX: Final = 2**128 - 1
_MAX_DOCUMENT_CHARS: Final = 16_384


class OfferError(PyclaimsError, ValueError):
    """An order, a signed order or an offer document is invalid: ``field`` names it, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# ----------------------------------------------------------------------------------------------------
# Field checks

_HEX40 = re.compile(r"0x[0-9a-fA-F]{40}")


def _check_address(field: str, value: object, *, allow_zero: bool) -> str:
    if not isinstance(value, str):
        raise OfferError(field, f"expected an address string, got {type(value).__name__}")
    if _HEX40.fullmatch(value) is None:
        raise OfferError(field, f"not a 0x-prefixed 40-hex-digit address: {value!r}")
    if checksum_address(value) != value:
        raise OfferError(field, f"{value} is not EIP-55 checksummed (all-lowercase is refused too)")
    if not allow_zero and value == ZERO_ADDRESS:
        raise OfferError(field, "must not be the zero address")
    return value


def _check_uint(field: str, value: object, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OfferError(field, f"expected an int, got {type(value).__name__}")
    if value < 0:
        raise OfferError(field, f"must not be negative, got {value}")
    if value >> bits:
        raise OfferError(field, f"{value} does not fit uint{bits} (at most 2**{bits}-1)")
    return value


def _check_chain_id(value: object) -> int:
    chain_id = _check_uint("chain_id", value, _UINT256_BITS)
    if chain_id == 0:
        raise OfferError("chain_id", "must be positive")
    return chain_id


@functools.lru_cache(maxsize=64)
def _domain(chain_id: int, market: str) -> Domain:
    """The market domain after checking both values (cached: signing many orders pays this once)."""
    _check_chain_id(chain_id)
    _check_address("market", market, allow_zero=False)
    return market_domain(chain_id, market)


def _market_domain(chain_id: object, market: object) -> Domain:
    if type(chain_id) is not int or type(market) is not str:  # no bools or str subclasses in the cache key
        _check_chain_id(chain_id)
        _check_address("market", market, allow_zero=False)
    assert isinstance(chain_id, int)
    assert isinstance(market, str)
    return _domain(chain_id, market)


# ----------------------------------------------------------------------------------------------------
# Orders


@dataclass(frozen=True, slots=True)
class Order:
    """A ``ClaimMarket`` order, field for field the EIP-712 ``Order`` type (``docs/DESIGN.md``).

    Every field is checked at construction; a bad one raises :class:`OfferError` naming it:
    addresses must be EIP-55 checksummed (``maker`` non-zero; ``taker`` zero = anyone may fill), integers must
    fit their Solidity types, ``price`` and ``expiry`` must be positive, and the side rules hold:

    - Ask and specific bid: ``claim_id != 0``, ``class_id == 0``, ``max_amount == 0``, ``price`` is the total.
    - Class bid (Bid only): ``claim_id == 0``, ``class_id != 0``, ``0 < max_amount < 2**128`` (the most
      allowed amount bought over all fills), ``price`` per :data:`PRICE_SCALE` of allowed amount.

    The market itself accepts a zero price; the SDK refuses one, as a likely mistake.
    """

    maker: str
    taker: str
    side: Side
    class_id: int
    claim_id: int
    price: int
    max_amount: int
    expiry: int
    counter: int
    salt: int

    def __post_init__(self) -> None:
        _check_address("maker", self.maker, allow_zero=False)
        _check_address("taker", self.taker, allow_zero=True)
        side: object = self.side
        if isinstance(side, bool) or not isinstance(side, int) or side not in (Side.Ask, Side.Bid):
            raise OfferError("side", f"must be Side.Ask (0) or Side.Bid (1), got {side!r}")
        object.__setattr__(self, "side", Side(side))
        _check_uint("class_id", self.class_id, 32)
        _check_uint("claim_id", self.claim_id, 256)
        _check_uint("price", self.price, 256)
        _check_uint("max_amount", self.max_amount, 256)
        _check_uint("expiry", self.expiry, 64)
        _check_uint("counter", self.counter, 64)
        _check_uint("salt", self.salt, 256)
        if self.price == 0:
            raise OfferError("price", "must be positive (a zero price gives the claim away)")
        if self.expiry == 0:
            raise OfferError("expiry", "must be a positive unix time")
        if self.claim_id != 0:  # an ask or a specific bid
            what = "an ask" if self.side is Side.Ask else "a bid for a specific claim"
            if self.class_id != 0:
                raise OfferError("class_id", f"must be 0 for {what} (claim_id is set)")
            if self.max_amount != 0:
                raise OfferError("max_amount", f"must be 0 for {what}")
        elif self.side is Side.Ask:
            raise OfferError("claim_id", "an ask must name the claim it sells (claim_id > 0)")
        else:  # a class bid
            if self.class_id == 0:
                raise OfferError("class_id", "a bid needs claim_id > 0 (specific bid) or class_id > 0 (class bid)")
            if self.max_amount == 0:
                raise OfferError("max_amount", "a class bid must buy a positive allowed amount")
            if self.max_amount > _UINT128_MAX:
                raise OfferError(
                    "max_amount",
                    f"a class bid buys at most 2**128-1 (the market's fill counter), got {self.max_amount}",
                )

    @property
    def is_class_bid(self) -> bool:
        """True for a class bid (``claim_id == 0``): price per 1,000,000 of allowed amount, partial fills."""
        return self.claim_id == 0

    def as_tuple(self) -> tuple[str, str, int, int, int, int, int, int, int, int]:
        """The order as the ``Order`` struct tuple the contracts' ABI takes (field order of the EIP-712 type)."""
        return (
            self.maker,
            self.taker,
            int(self.side),
            self.class_id,
            self.claim_id,
            self.price,
            self.max_amount,
            self.expiry,
            self.counter,
            self.salt,
        )


def _salt(salt: int | None) -> int:
    return secrets.randbits(256) if salt is None else salt


def ask(
    *,
    maker: str,
    claim_id: int,
    price: int,
    expiry: int,
    counter: int = 0,
    taker: str = ZERO_ADDRESS,
    salt: int | None = None,
) -> Order:
    """An ask: ``maker`` sells ``claim_id`` for ``price`` base units in total. ``salt``: 256 random bits."""
    return Order(maker, taker, Side.Ask, 0, claim_id, price, 0, expiry, counter, _salt(salt))


def bid_for_claim(
    *,
    maker: str,
    claim_id: int,
    price: int,
    expiry: int,
    counter: int = 0,
    taker: str = ZERO_ADDRESS,
    salt: int | None = None,
) -> Order:
    """A specific bid: ``maker`` buys ``claim_id`` for ``price`` base units in total."""
    return Order(maker, taker, Side.Bid, 0, claim_id, price, 0, expiry, counter, _salt(salt))


def class_bid(
    *,
    maker: str,
    class_id: int,
    price_per_million: int,
    max_amount: int,
    expiry: int,
    counter: int = 0,
    taker: str = ZERO_ADDRESS,
    salt: int | None = None,
) -> Order:
    """A class bid: ``maker`` buys claims of ``class_id`` paying ``price_per_million`` base units per
    1,000,000 base units of allowed amount, up to ``max_amount`` of allowed amount over all fills."""
    return Order(maker, taker, Side.Bid, class_id, 0, price_per_million, max_amount, expiry, counter, _salt(salt))


def payment_for(amount: int, price_per_million: int) -> int:
    """What a class bid pays for a claim of allowed ``amount``: ``floor(amount * price / 1,000,000)``."""
    _check_uint("amount", amount, 96)
    _check_uint("price_per_million", price_per_million, 256)
    return amount * price_per_million // PRICE_SCALE


def order_hash(order: Order) -> bytes:
    """The order hash: the EIP-712 struct hash ``hashStruct(Order)``, what ``ClaimMarket.hashOrder`` returns.

    The market keys an order's state on it (``orderState``, ``depositOf``, ``withdraw``, the events); it holds
    no domain because that state lives in one market on one chain. The maker signs :func:`order_digest`.
    """
    if not isinstance(order, Order):
        raise OfferError("order", f"expected an Order, got {type(order).__name__}")
    return _struct_hash_order_unchecked(order)


def order_digest(order: Order, domain: Domain) -> bytes:
    """What the maker signs: ``keccak256(0x1901 ‖ domainSeparator ‖ order_hash(order))``."""
    if not isinstance(order, Order):
        raise OfferError("order", f"expected an Order, got {type(order).__name__}")
    if not isinstance(domain, Domain):
        raise OfferError("domain", f"expected an eip712.Domain, got {type(domain).__name__}")
    return _keccak(b"\x19\x01" + domain.separator + _struct_hash_order_unchecked(order))


# ----------------------------------------------------------------------------------------------------
# Signed orders


def _check_signature_shape(signature: object) -> bytes:
    try:
        _split(signature)
    except SignatureError as exc:
        raise OfferError("signature", exc.reason) from None
    assert isinstance(signature, bytes)
    return signature


@dataclass(frozen=True, slots=True)
class SignedOrder:
    """An order with its maker's signature for the market ``market`` on chain ``chain_id``.

    Construction checks the shapes (a 65-byte low-s ``r ‖ s ‖ v`` signature, a checksummed market address,
    a positive chain id); :func:`verify_order` checks that the maker really signed it and that it has not
    expired.
    """

    order: Order
    signature: bytes
    market: str
    chain_id: int

    def __post_init__(self) -> None:
        if not isinstance(self.order, Order):
            raise OfferError("order", f"expected an Order, got {type(self.order).__name__}")
        _check_signature_shape(self.signature)
        _market_domain(self.chain_id, self.market)

    @property
    def domain(self) -> Domain:
        """The ``ClaimMarket`` EIP-712 domain this order is signed for."""
        return _market_domain(self.chain_id, self.market)

    @property
    def hash(self) -> bytes:
        """The order hash (struct hash) the market keys this order's state on; see :func:`order_hash`."""
        return _struct_hash_order_unchecked(self.order)

    @property
    def digest(self) -> bytes:
        """The EIP-712 digest the maker signed (this order in its market's domain)."""
        return _keccak(b"\x19\x01" + self.domain.separator + _struct_hash_order_unchecked(self.order))

    def to_json(self, *, indent: int | None = 2) -> str:
        """This offer as a JSON document (see the module docstring); :func:`from_json` reads it back."""
        return to_json(self, indent=indent)

    @classmethod
    def from_json(cls, document: str | bytes) -> SignedOrder:
        """Load and fully check an offer document (see :func:`from_json`)."""
        return from_json(document)


def sign_order(order: Order, signer: Signer, *, market: str, chain_id: int) -> SignedOrder:
    """Sign ``order`` for the market at ``market`` on ``chain_id``. ``signer`` must be the order's maker.

    A signature from a :class:`~pyclaims.eip712.LocalSigner` is correct by construction; one from any other
    :class:`~pyclaims.eip712.Signer` (a wallet, an HSM) is recovered and checked against the maker.
    """
    if not isinstance(order, Order):
        raise OfferError("order", f"expected an Order, got {type(order).__name__}")
    domain = _market_domain(chain_id, market)
    if signer.address != order.maker:
        raise OfferError("maker", f"the order's maker {order.maker} is not the signer {signer.address}")
    digest = _keccak(b"\x19\x01" + domain.separator + _struct_hash_order_unchecked(order))
    signature = signer.sign_digest(digest)
    if type(signer) is not LocalSigner:
        _check_signature_shape(signature)
        if recover(digest, signature) != order.maker:
            raise OfferError("signature", f"the signer returned a signature that does not recover {order.maker}")
    # Every field was checked above (or by Order / the cached domain): skip SignedOrder.__post_init__.
    signed = object.__new__(SignedOrder)
    object.__setattr__(signed, "order", order)
    object.__setattr__(signed, "signature", signature)
    object.__setattr__(signed, "market", domain.verifying_contract)
    object.__setattr__(signed, "chain_id", chain_id)
    return signed


def verify_order(signed: SignedOrder, *, now: int | None = None) -> None:
    """Check that the maker signed this order for this market and chain (low-s only) and that it has not
    expired at ``now`` (unix seconds; default: the local clock). Fills need ``block.timestamp <= expiry``.

    Raises:
        OfferError: ``field="signature"`` for a malformed, high-s or foreign signature; ``field="expiry"``
            for an expired order.
    """
    if not isinstance(signed, SignedOrder):
        raise OfferError("signed", f"expected a SignedOrder, got {type(signed).__name__}")
    _check_signer(signed)
    current = int(time.time()) if now is None else _check_uint("now", now, 64)
    if current > signed.order.expiry:
        raise OfferError("expiry", f"the order expired at {signed.order.expiry} (now {current})")


def _check_signer(signed: SignedOrder) -> None:
    try:
        signer = recover(signed.digest, signed.signature)
    except SignatureError as exc:
        raise OfferError("signature", exc.reason) from None
    except Eip712Error as exc:  # pragma: no cover - the digest is always 32 bytes
        raise OfferError(exc.field, exc.reason) from None
    if signer != signed.order.maker:
        raise OfferError(
            "signature",
            f"signed by {signer}, not by the maker {signed.order.maker} (the order, market or chain id was "
            "changed after signing, or the signature is someone else's)",
        )


# ----------------------------------------------------------------------------------------------------
# JSON documents

# (JSON key, Order attribute, bits) in the EIP-712 field order; addresses have bits = 0.
_ORDER_KEYS: Final = (
    ("maker", "maker", 0),
    ("taker", "taker", 0),
    ("side", "side", 8),
    ("classId", "class_id", 32),
    ("claimId", "claim_id", 256),
    ("price", "price", 256),
    ("maxAmount", "max_amount", 256),
    ("expiry", "expiry", 64),
    ("counter", "counter", 64),
    ("salt", "salt", 256),
)
_JSON_KEY_OF: Final = {attr: key for key, attr, _ in _ORDER_KEYS}
_TOP_KEYS: Final = ("format", "version", "chainId", "market", "order", "orderHash", "signature")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,77}")
_HEX_BYTES = re.compile(r"0x(?:[0-9a-fA-F]{2})*")


def to_json(signed: SignedOrder, *, indent: int | None = 2) -> str:
    """Serialize a signed order as an offer document (integers as decimal strings; see the module doc)."""
    if not isinstance(signed, SignedOrder):
        raise OfferError("signed", f"expected a SignedOrder, got {type(signed).__name__}")
    order = signed.order
    document = {
        "format": OFFER_FORMAT,
        "version": OFFER_FORMAT_VERSION,
        "chainId": str(signed.chain_id),
        "market": signed.market,
        "order": {
            key: (getattr(order, attr) if bits == 0 else str(int(getattr(order, attr))))
            for key, attr, bits in _ORDER_KEYS
        },
        "orderHash": "0x" + signed.hash.hex(),
        "signature": "0x" + signed.signature.hex(),
    }
    return json.dumps(document, indent=indent)


class _JsonNonInteger:
    """A JSON float or constant (NaN, Infinity), kept only to be refused with a clear error."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise OfferError(key, "appears twice in the same object")
        out[key] = value
    return out


def _describe(value: object) -> str:
    if isinstance(value, _JsonNonInteger):
        return f"the JSON number {value.text}"
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, int):
        return f"the JSON number {value} (integers are decimal strings in offer documents)"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def _decimal(field: str, value: object, bits: int) -> int:
    if not isinstance(value, str):
        raise OfferError(field, f"expected a decimal string, got {_describe(value)}")
    if _DECIMAL.fullmatch(value) is None:
        raise OfferError(
            field, f"{value[:90]!r} is not a canonical decimal string (digits only, no sign or leading zeros)"
        )
    number = int(value)
    if number >> bits:
        raise OfferError(field, f"{value} does not fit uint{bits}")
    return number


def _exact_keys(path: str, obj: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in obj:
        if key not in keys:
            raise OfferError(f"{path}{key}", "unknown field")
    for key in keys:
        if key not in obj:
            raise OfferError(f"{path}{key}", "missing")


def _parse_order(obj: object) -> Order:
    if not isinstance(obj, dict):
        raise OfferError("order", f"expected a JSON object, got {_describe(obj)}")
    _exact_keys("order.", obj, tuple(key for key, _, _ in _ORDER_KEYS))
    values: dict[str, object] = {}
    for key, attr, bits in _ORDER_KEYS:
        raw = obj[key]
        if bits == 0:
            if not isinstance(raw, str):
                raise OfferError(f"order.{key}", f"expected an address string, got {_describe(raw)}")
            values[attr] = raw
        else:
            values[attr] = _decimal(f"order.{key}", raw, bits)
    try:
        return Order(**values)  # type: ignore[arg-type]  # each value was type-checked just above
    except OfferError as exc:
        raise OfferError(f"order.{_JSON_KEY_OF.get(exc.field, exc.field)}", exc.reason) from None


def _hex_bytes(field: str, value: object, length: int) -> bytes:
    if not isinstance(value, str):
        raise OfferError(field, f"expected a 0x-prefixed hex string, got {_describe(value)}")
    if _HEX_BYTES.fullmatch(value) is None:
        raise OfferError(field, "not a 0x-prefixed hex string of whole bytes")
    raw = bytes.fromhex(value[2:])
    if len(raw) != length:
        raise OfferError(field, f"expected {length} bytes, got {len(raw)}")
    return raw


def from_json(document: str | bytes) -> SignedOrder:
    """Load an offer document and check all of it: format and version, every field's type and range, the
    side rules, the order hash, and that the signature (65 bytes, low-s) recovers the maker.

    Raises:
        OfferError: naming the field (``"order.price"``, ``"signature"``, ...) and the problem. A document
            whose order, market or chain id was edited after signing fails on ``orderHash`` or ``signature``.
    """
    if isinstance(document, bytes):
        try:
            document = document.decode("utf-8")
        except UnicodeDecodeError:
            raise OfferError("document", "not UTF-8 text") from None
    if not isinstance(document, str):
        raise OfferError("document", f"expected str or bytes, got {type(document).__name__}")
    if len(document) > _MAX_DOCUMENT_CHARS:
        raise OfferError("document", f"longer than {_MAX_DOCUMENT_CHARS} characters")
    try:
        data = json.loads(
            document,
            object_pairs_hook=_no_duplicates,
            parse_float=_JsonNonInteger,
            parse_constant=_JsonNonInteger,
        )
    except json.JSONDecodeError as exc:
        raise OfferError("document", f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(data, dict):
        raise OfferError("document", f"expected a JSON object, got {_describe(data)}")
    _exact_keys("", data, _TOP_KEYS)
    if data["format"] != OFFER_FORMAT:
        raise OfferError("format", f"expected {OFFER_FORMAT!r}, got {data['format']!r}")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version != OFFER_FORMAT_VERSION:
        raise OfferError("version", f"unsupported version {_describe(version)}; this SDK reads version 1")
    chain_id = _decimal("chainId", data["chainId"], _UINT256_BITS)
    if chain_id == 0:
        raise OfferError("chainId", "must be positive")
    market = data["market"]
    if not isinstance(market, str):
        raise OfferError("market", f"expected an address string, got {_describe(market)}")
    _check_address("market", market, allow_zero=False)
    order = _parse_order(data["order"])
    claimed_hash = _hex_bytes("orderHash", data["orderHash"], 32)
    signature = _hex_bytes("signature", data["signature"], 65)
    signed = SignedOrder(order, signature, market, chain_id)
    if signed.hash != claimed_hash:
        raise OfferError(
            "orderHash",
            "does not match the order (the document was edited or corrupted)",
        )
    _check_signer(signed)
    return signed
