"""pyclaims.offers: order rules, signing against eth-account, verification, and the JSON offer document."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils.address import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyclaims import eip712
from pyclaims.eip712 import SECP256K1_N, ZERO_ADDRESS, LocalSigner
from pyclaims.offers import (
    OFFER_FORMAT,
    PRICE_SCALE,
    OfferError,
    Order,
    SignedOrder,
    ask,
    bid_for_claim,
    class_bid,
    from_json,
    order_digest,
    order_hash,
    payment_for,
    sign_order,
    to_json,
    verify_order,
)
from pyclaims.types import Side

SELLER = LocalSigner(b"\x11" * 32)
BUYER = LocalSigner(b"\x22" * 32)
MARKET = to_checksum_address("0x" + "5f" * 20)
OTHER_MARKET = to_checksum_address("0x" + "6e" * 20)
CHAIN = 31337
EXPIRY = 2_000_000_000

REF_ORDER_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Order": [
        {"name": "maker", "type": "address"},
        {"name": "taker", "type": "address"},
        {"name": "side", "type": "uint8"},
        {"name": "classId", "type": "uint32"},
        {"name": "claimId", "type": "uint256"},
        {"name": "price", "type": "uint256"},
        {"name": "maxAmount", "type": "uint256"},
        {"name": "expiry", "type": "uint64"},
        {"name": "counter", "type": "uint64"},
        {"name": "salt", "type": "uint256"},
    ],
}


def reference_document(order: Order, market: str, chain_id: int) -> dict[str, Any]:
    """The order as eth-account's ``full_message``, built independently of pyclaims."""
    return {
        "types": REF_ORDER_TYPES,
        "primaryType": "Order",
        "domain": {"name": "pyclaims ClaimMarket", "version": "1", "chainId": chain_id, "verifyingContract": market},
        "message": {
            "maker": order.maker,
            "taker": order.taker,
            "side": int(order.side),
            "classId": order.class_id,
            "claimId": order.claim_id,
            "price": order.price,
            "maxAmount": order.max_amount,
            "expiry": order.expiry,
            "counter": order.counter,
            "salt": order.salt,
        },
    }


def a_bid() -> Order:
    return bid_for_claim(maker=BUYER.address, claim_id=7, price=650_000_000, expiry=EXPIRY, salt=42)


def signed_bid() -> SignedOrder:
    return sign_order(a_bid(), BUYER, market=MARKET, chain_id=CHAIN)


# ---------------------------------------------------------------------------------------------------------
# Strategies: valid orders of the three shapes

keys = st.integers(1, SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))
addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)
takers = st.one_of(st.just(ZERO_ADDRESS), addresses)
u64 = st.integers(0, 2**64 - 1)
u256 = st.integers(0, 2**256 - 1)
positive_u256 = st.integers(1, 2**256 - 1)
chain_ids = st.one_of(st.sampled_from([1, CHAIN]), st.integers(1, 2**256 - 1))


@st.composite
def orders(draw: st.DrawFn, maker: str | None = None) -> Order:
    maker = maker if maker is not None else draw(addresses.filter(lambda a: a != ZERO_ADDRESS))
    common: dict[str, Any] = {
        "maker": maker,
        "taker": draw(takers),
        "expiry": draw(st.integers(1, 2**64 - 1)),
        "counter": draw(u64),
        "salt": draw(u256),
    }
    kind = draw(st.sampled_from(["ask", "bid", "class"]))
    if kind == "ask":
        return ask(claim_id=draw(positive_u256), price=draw(positive_u256), **common)
    if kind == "bid":
        return bid_for_claim(claim_id=draw(positive_u256), price=draw(positive_u256), **common)
    return class_bid(
        class_id=draw(st.integers(1, 2**32 - 1)),
        price_per_million=draw(positive_u256),
        max_amount=draw(st.integers(1, 2**128 - 1)),
        **common,
    )


DIFF = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------------------
# Builders and order rules


def test_builders_make_the_three_shapes() -> None:
    a = ask(maker=SELLER.address, claim_id=5, price=10, expiry=EXPIRY, salt=1)
    assert (a.side, a.claim_id, a.class_id, a.max_amount, a.taker) == (Side.Ask, 5, 0, 0, ZERO_ADDRESS)
    b = bid_for_claim(maker=BUYER.address, claim_id=5, price=10, expiry=EXPIRY, taker=SELLER.address, salt=1)
    assert (b.side, b.claim_id, b.class_id, b.max_amount, b.taker) == (Side.Bid, 5, 0, 0, SELLER.address)
    c = class_bid(maker=BUYER.address, class_id=2, price_per_million=650_000, max_amount=10**12, expiry=EXPIRY)
    assert (c.side, c.claim_id, c.class_id, c.price, c.max_amount) == (Side.Bid, 0, 2, 650_000, 10**12)
    assert c.is_class_bid
    assert not a.is_class_bid
    assert not b.is_class_bid


def test_salt_defaults_to_fresh_randomness() -> None:
    salts = {ask(maker=SELLER.address, claim_id=1, price=1, expiry=EXPIRY).salt for _ in range(20)}
    assert len(salts) == 20
    assert max(salts) < 2**256


def test_side_accepts_plain_ints_and_normalizes_to_the_enum() -> None:
    order = Order(BUYER.address, ZERO_ADDRESS, 1, 0, 1, 1, 0, 1, 0, 0)  # type: ignore[arg-type]
    assert order.side is Side.Bid


ASK_OK: dict[str, Any] = {
    "maker": SELLER.address,
    "taker": ZERO_ADDRESS,
    "side": Side.Ask,
    "class_id": 0,
    "claim_id": 1,
    "price": 1,
    "max_amount": 0,
    "expiry": 1,
    "counter": 0,
    "salt": 0,
}
CLASS_BID_OK: dict[str, Any] = {**ASK_OK, "side": Side.Bid, "claim_id": 0, "class_id": 3, "max_amount": 10}

BAD_ORDERS: list[tuple[dict[str, Any], dict[str, Any], str, str]] = [
    # (base, change, field, reason fragment)
    (ASK_OK, {"maker": SELLER.address.lower()}, "maker", "EIP-55"),
    (ASK_OK, {"maker": SELLER.address[:-1]}, "maker", "40-hex-digit"),
    (ASK_OK, {"maker": ZERO_ADDRESS}, "maker", "zero address"),
    (ASK_OK, {"maker": bytes(20)}, "maker", "expected an address string"),
    (ASK_OK, {"taker": "0x" + "Ab" * 20}, "taker", "EIP-55"),
    (ASK_OK, {"taker": None}, "taker", "expected an address string"),
    (ASK_OK, {"side": 2}, "side", "Side.Ask"),
    (ASK_OK, {"side": True}, "side", "Side.Ask"),
    (ASK_OK, {"side": "0"}, "side", "Side.Ask"),
    (ASK_OK, {"class_id": 2**32}, "class_id", "uint32"),
    (ASK_OK, {"class_id": 1}, "class_id", "must be 0 for an ask"),
    (ASK_OK, {"claim_id": 2**256}, "claim_id", "uint256"),
    (ASK_OK, {"claim_id": 0}, "claim_id", "an ask must name the claim"),
    (ASK_OK, {"claim_id": -1}, "claim_id", "negative"),
    (ASK_OK, {"price": 0}, "price", "positive"),
    (ASK_OK, {"price": 2**256}, "price", "uint256"),
    (ASK_OK, {"price": 1.5}, "price", "expected an int"),
    (ASK_OK, {"max_amount": 1}, "max_amount", "must be 0 for an ask"),
    (ASK_OK, {"max_amount": 2**256}, "max_amount", "uint256"),
    (ASK_OK, {"expiry": 0}, "expiry", "positive"),
    (ASK_OK, {"expiry": 2**64}, "expiry", "uint64"),
    (ASK_OK, {"counter": 2**64}, "counter", "uint64"),
    (ASK_OK, {"counter": False}, "counter", "expected an int"),
    (ASK_OK, {"salt": 2**256}, "salt", "uint256"),
    (ASK_OK, {"salt": "7"}, "salt", "expected an int"),
    ({**ASK_OK, "side": Side.Bid}, {"class_id": 1}, "class_id", "must be 0 for a bid for a specific claim"),
    ({**ASK_OK, "side": Side.Bid}, {"max_amount": 5}, "max_amount", "must be 0 for a bid for a specific claim"),
    (CLASS_BID_OK, {"class_id": 0}, "class_id", "claim_id > 0 (specific bid) or class_id > 0"),
    (CLASS_BID_OK, {"max_amount": 0}, "max_amount", "positive allowed amount"),
    (CLASS_BID_OK, {"max_amount": 2**128}, "max_amount", "2**128-1"),
]


@pytest.mark.parametrize(("base", "change", "field", "reason"), BAD_ORDERS)
def test_every_order_field_is_checked(base: dict[str, Any], change: dict[str, Any], field: str, reason: str) -> None:
    Order(**base)  # the base is valid
    with pytest.raises(OfferError) as exc:
        Order(**{**base, **change})
    assert exc.value.field == field
    assert reason in exc.value.reason
    assert str(exc.value).startswith(f"{field}: ")
    assert isinstance(exc.value, ValueError)


def test_order_is_frozen() -> None:
    order = a_bid()
    with pytest.raises(AttributeError):
        order.price = 1  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------------
# Payment math


def test_payment_for_examples() -> None:
    assert PRICE_SCALE == 1_000_000
    assert payment_for(1_000_000, 650_000) == 650_000
    assert payment_for(10_000_000_000, 650_000) == 6_500_000_000
    assert payment_for(1, 999_999) == 0  # floored
    assert payment_for(3, 333_334) == 1
    assert payment_for(0, 650_000) == 0
    assert payment_for(2**96 - 1, 2**256 - 1) == (2**96 - 1) * (2**256 - 1) // 10**6


@given(st.integers(0, 2**96 - 1), st.integers(0, 2**256 - 1))
def test_payment_for_is_the_floor(amount: int, price: int) -> None:
    paid = payment_for(amount, price)
    assert paid * PRICE_SCALE <= amount * price < (paid + 1) * PRICE_SCALE


@pytest.mark.parametrize(
    ("amount", "price", "field"),
    [(-1, 1, "amount"), (2**96, 1, "amount"), (1, -1, "price_per_million"), (True, 1, "amount")],
)
def test_payment_for_rejects_bad_inputs(amount: Any, price: Any, field: str) -> None:
    with pytest.raises(OfferError) as exc:
        payment_for(amount, price)
    assert exc.value.field == field


# ---------------------------------------------------------------------------------------------------------
# Signing: byte-identical to eth-account, verifiable


@DIFF
@given(st.data(), keys, chain_ids, addresses.filter(lambda a: a != ZERO_ADDRESS))
def test_sign_order_equals_eth_account(data: st.DataObject, key: bytes, chain_id: int, market: str) -> None:
    signer = LocalSigner(key)
    order = data.draw(orders(maker=signer.address))
    signed = sign_order(order, signer, market=market, chain_id=chain_id)
    document = reference_document(order, market, chain_id)
    reference = Account.sign_typed_data(key, full_message=document)
    assert signed.signature == bytes(reference.signature)
    assert signed.digest == bytes(_hash_eip191_message(encode_typed_data(full_message=document)))
    assert signed.digest == order_digest(order, eip712.market_domain(chain_id, market))
    assert signed.hash == order_hash(order) == encode_typed_data(full_message=document).body
    assert (signed.order, signed.market, signed.chain_id) == (order, market, chain_id)
    verify_order(signed, now=order.expiry)
    assert SignedOrder(order, signed.signature, market, chain_id) == signed


@DIFF
@given(orders(), chain_ids)
def test_json_round_trip(order: Order, chain_id: int) -> None:
    signer = LocalSigner(b"\x33" * 32)
    order = replace(order, maker=signer.address)
    signed = sign_order(order, signer, market=MARKET, chain_id=chain_id)
    text = to_json(signed)
    assert from_json(text) == signed
    assert from_json(text.encode()) == signed
    assert SignedOrder.from_json(signed.to_json(indent=None)) == signed
    document = json.loads(text)
    assert document["format"] == OFFER_FORMAT
    assert document["version"] == 1
    assert document["chainId"] == str(chain_id)
    # No integer travels as a JSON number (except the format version).
    assert all(isinstance(value, str) for value in document["order"].values())
    assert document["order"]["salt"] == str(order.salt)
    assert document["orderHash"] == "0x" + order_hash(order).hex()
    assert document["signature"] == "0x" + signed.signature.hex()


def test_sign_order_refuses_a_signer_that_is_not_the_maker() -> None:
    with pytest.raises(OfferError) as exc:
        sign_order(a_bid(), SELLER, market=MARKET, chain_id=CHAIN)
    assert exc.value.field == "maker"


@pytest.mark.parametrize(
    ("market", "chain_id", "field"),
    [
        (MARKET.lower(), CHAIN, "market"),
        (ZERO_ADDRESS, CHAIN, "market"),
        (MARKET, 0, "chain_id"),
        (MARKET, True, "chain_id"),
        (MARKET, 2**256, "chain_id"),
        (MARKET, "31337", "chain_id"),
    ],
)
def test_sign_order_checks_market_and_chain(market: Any, chain_id: Any, field: str) -> None:
    with pytest.raises(OfferError) as exc:
        sign_order(a_bid(), BUYER, market=market, chain_id=chain_id)
    assert exc.value.field == field


class EthAccountSigner:
    """A Signer that is not a LocalSigner (so sign_order re-checks what it returns)."""

    def __init__(self, key: bytes, *, corrupt: bool = False) -> None:
        self._account = Account.from_key(key)
        self._corrupt = corrupt

    @property
    def address(self) -> str:
        return str(self._account.address)

    def sign_digest(self, digest: bytes) -> bytes:
        signature = bytes(self._account.unsafe_sign_hash(digest).signature)
        if self._corrupt:  # a valid signature, of another digest
            signature = bytes(self._account.unsafe_sign_hash(bytes(32)).signature)
        return signature


def test_sign_order_with_a_foreign_signer() -> None:
    key = b"\x22" * 32
    foreign = EthAccountSigner(key)
    assert isinstance(foreign, eip712.Signer)
    assert sign_order(a_bid(), foreign, market=MARKET, chain_id=CHAIN) == signed_bid()
    with pytest.raises(OfferError) as exc:
        sign_order(a_bid(), EthAccountSigner(key, corrupt=True), market=MARKET, chain_id=CHAIN)
    assert exc.value.field == "signature"


def test_order_digest_and_hash_check_their_arguments() -> None:
    with pytest.raises(OfferError) as exc:
        order_hash("order")  # type: ignore[arg-type]
    assert exc.value.field == "order"
    with pytest.raises(OfferError) as exc:
        order_digest(a_bid(), "domain")  # type: ignore[arg-type]
    assert exc.value.field == "domain"
    with pytest.raises(OfferError) as exc:
        sign_order("order", BUYER, market=MARKET, chain_id=CHAIN)  # type: ignore[arg-type]
    assert exc.value.field == "order"


# ---------------------------------------------------------------------------------------------------------
# verify_order: signer, malleability, expiry, replay across chains and markets


def test_verify_order_expiry_boundary() -> None:
    signed = signed_bid()
    verify_order(signed, now=EXPIRY)  # fills need block.timestamp <= expiry
    with pytest.raises(OfferError) as exc:
        verify_order(signed, now=EXPIRY + 1)
    assert exc.value.field == "expiry"
    verify_order(signed)  # the local clock is well before 2033


def test_verify_order_refuses_a_signature_by_someone_else() -> None:
    order = a_bid()
    by_seller = SELLER.sign_digest(order_digest(order, eip712.market_domain(CHAIN, MARKET)))
    with pytest.raises(OfferError) as exc:
        verify_order(SignedOrder(order, by_seller, MARKET, CHAIN), now=0)
    assert exc.value.field == "signature"
    assert f"signed by {SELLER.address}" in exc.value.reason


@pytest.mark.parametrize(("market", "chain_id"), [(OTHER_MARKET, CHAIN), (MARKET, 1), (OTHER_MARKET, 1)])
def test_an_offer_does_not_replay_on_another_chain_or_market(market: str, chain_id: int) -> None:
    signed = signed_bid()
    moved = SignedOrder(signed.order, signed.signature, market, chain_id)
    assert moved.hash == signed.hash  # the market's state key has no domain ...
    assert moved.digest != signed.digest  # ... but the signature covers it
    with pytest.raises(OfferError) as exc:
        verify_order(moved, now=0)
    assert exc.value.field == "signature"


def test_high_s_signatures_are_refused_everywhere() -> None:
    signed = signed_bid()
    s = int.from_bytes(signed.signature[32:64], "big")
    high = signed.signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes((55 - signed.signature[64],))
    with pytest.raises(OfferError, match="high-s") as exc:
        SignedOrder(signed.order, high, MARKET, CHAIN)
    assert exc.value.field == "signature"
    document = json.loads(to_json(signed))
    document["signature"] = "0x" + high.hex()
    with pytest.raises(OfferError, match="high-s"):
        from_json(json.dumps(document))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"order": "order"}, "order"),
        ({"signature": b"\x00" * 65}, "signature"),
        ({"signature": "0x00"}, "signature"),
        ({"market": MARKET.lower()}, "market"),
        ({"chain_id": 0}, "chain_id"),
    ],
)
def test_signed_order_checks_its_shape(change: dict[str, Any], field: str) -> None:
    signed = signed_bid()
    values: dict[str, Any] = {
        "order": signed.order,
        "signature": signed.signature,
        "market": signed.market,
        "chain_id": signed.chain_id,
        **change,
    }
    with pytest.raises(OfferError) as exc:
        SignedOrder(**values)
    assert exc.value.field == field


def test_verify_order_and_to_json_check_their_argument() -> None:
    with pytest.raises(OfferError):
        verify_order("offer")  # type: ignore[arg-type]
    with pytest.raises(OfferError):
        to_json("offer")  # type: ignore[arg-type]
    with pytest.raises(OfferError) as exc:
        verify_order(signed_bid(), now=-1)
    assert exc.value.field == "now"


# ---------------------------------------------------------------------------------------------------------
# JSON documents: tampering and malformed input


def document_of(signed: SignedOrder | None = None) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(to_json(signed or signed_bid()))
    return loaded


TAMPERS = [
    ("price", "650000001"),
    ("claimId", "8"),
    ("taker", SELLER.address),
    ("expiry", str(EXPIRY + 1)),
    ("counter", "1"),
    ("salt", "43"),
    ("maker", SELLER.address),
    ("side", "0"),
]


@pytest.mark.parametrize(("key", "value"), TAMPERS)
def test_a_tampered_order_is_refused(key: str, value: str) -> None:
    document = document_of()
    document["order"][key] = value
    with pytest.raises(OfferError) as exc:
        from_json(json.dumps(document))
    assert exc.value.field == "orderHash"
    # Fixing up the order hash does not help: the signature no longer recovers the maker.
    fields = document["order"]
    order = Order(
        fields["maker"],
        fields["taker"],
        Side(int(fields["side"])),
        int(fields["classId"]),
        int(fields["claimId"]),
        int(fields["price"]),
        int(fields["maxAmount"]),
        int(fields["expiry"]),
        int(fields["counter"]),
        int(fields["salt"]),
    )
    document["orderHash"] = "0x" + order_hash(order).hex()
    with pytest.raises(OfferError) as exc:
        from_json(json.dumps(document))
    assert exc.value.field == "signature"
    assert "not by the maker" in exc.value.reason


@pytest.mark.parametrize(("key", "value"), [("chainId", "1"), ("market", OTHER_MARKET)])
def test_a_document_moved_to_another_chain_or_market_is_refused(key: str, value: str) -> None:
    document = document_of()
    document[key] = value
    with pytest.raises(OfferError) as exc:
        from_json(json.dumps(document))
    assert exc.value.field == "signature"


def test_a_tampered_signature_is_refused() -> None:
    document = document_of()
    signature = bytearray(bytes.fromhex(document["signature"][2:]))
    signature[5] ^= 1
    document["signature"] = "0x" + signature.hex()
    with pytest.raises(OfferError) as exc:
        from_json(json.dumps(document))
    assert exc.value.field == "signature"


def test_a_class_bid_document_round_trips() -> None:
    order = class_bid(maker=BUYER.address, class_id=9, price_per_million=650_000, max_amount=10**13, expiry=EXPIRY)
    signed = sign_order(order, BUYER, market=MARKET, chain_id=CHAIN)
    assert from_json(to_json(signed)).order == order


MALFORMED: list[tuple[str, Any, str, str]] = [
    # (path, value, field, reason fragment); path "" replaces nothing, "a.b" sets document[a][b]
    ("extra", "x", "extra", "unknown field"),
    ("order.extra", "x", "order.extra", "unknown field"),
    ("format", "something.else", "format", "pyclaims.offer"),
    ("version", 2, "version", "unsupported"),
    ("version", "1", "version", "unsupported"),
    ("version", True, "version", "unsupported"),
    ("chainId", 31337, "chainId", "JSON number"),
    ("chainId", "0", "chainId", "positive"),
    ("chainId", "031337", "chainId", "canonical decimal"),
    ("market", 5, "market", "address string"),
    ("market", MARKET.lower(), "market", "EIP-55"),
    ("market", ZERO_ADDRESS, "market", "zero address"),
    ("order", [], "order", "JSON array"),
    ("order.price", 650000000, "order.price", "JSON number"),
    ("order.price", 6.5e8, "order.price", "JSON number"),
    ("order.price", True, "order.price", "boolean"),
    ("order.price", None, "order.price", "null"),
    ("order.price", "", "order.price", "canonical decimal"),
    ("order.price", "-1", "order.price", "canonical decimal"),
    ("order.price", "+1", "order.price", "canonical decimal"),
    ("order.price", " 1", "order.price", "canonical decimal"),
    ("order.price", "1e9", "order.price", "canonical decimal"),
    ("order.price", "0x10", "order.price", "canonical decimal"),
    ("order.price", "1" * 79, "order.price", "canonical decimal"),
    ("order.price", str(2**256), "order.price", "uint256"),
    ("order.price", "0", "order.price", "positive"),
    ("order.side", "2", "order.side", "Side.Ask"),
    ("order.side", "256", "order.side", "uint8"),
    ("order.classId", "4294967296", "order.classId", "uint32"),
    ("order.classId", "3", "order.classId", "must be 0"),
    ("order.maxAmount", "1", "order.maxAmount", "must be 0"),
    ("order.expiry", str(2**64), "order.expiry", "uint64"),
    ("order.counter", {"n": 1}, "order.counter", "JSON object"),
    ("order.maker", 1, "order.maker", "address string"),
    ("order.maker", BUYER.address.lower(), "order.maker", "EIP-55"),
    ("order.taker", "0x00", "order.taker", "40-hex-digit"),
    ("orderHash", "0x1234", "orderHash", "expected 32 bytes"),
    ("orderHash", "1234", "orderHash", "0x-prefixed"),
    ("signature", "0x" + "00" * 64, "signature", "expected 65 bytes"),
    ("signature", "0x" + "0" * 131, "signature", "whole bytes"),
    ("signature", 0, "signature", "hex string"),
]


@pytest.mark.parametrize(("path", "value", "field", "reason"), MALFORMED)
def test_malformed_documents_name_the_field(path: str, value: Any, field: str, reason: str) -> None:
    document = document_of()
    parent, _, key = path.rpartition(".")
    (document[parent] if parent else document)[key] = value
    with pytest.raises(OfferError) as exc:
        from_json(json.dumps(document))
    assert exc.value.field == field
    assert reason in exc.value.reason


@pytest.mark.parametrize("key", ["format", "version", "chainId", "market", "order", "orderHash", "signature"])
def test_missing_top_level_fields_are_named(key: str) -> None:
    document = document_of()
    del document[key]
    with pytest.raises(OfferError) as exc:
        from_json(json.dumps(document))
    assert (exc.value.field, exc.value.reason) == (key, "missing")


@pytest.mark.parametrize(
    "key", ["maker", "taker", "side", "classId", "claimId", "price", "maxAmount", "expiry", "counter", "salt"]
)
def test_missing_order_fields_are_named(key: str) -> None:
    document = document_of()
    del document["order"][key]
    with pytest.raises(OfferError) as exc:
        from_json(json.dumps(document))
    assert (exc.value.field, exc.value.reason) == (f"order.{key}", "missing")


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("", "document", "not valid JSON"),
        ("{", "document", "not valid JSON"),
        ("[]", "document", "JSON array"),
        ('"offer"', "document", "a string"),
        ('{"format": 1, "format": 2}', "format", "appears twice"),
        ("x" * 20_000, "document", "longer than"),
    ],
)
def test_unparseable_documents(text: str, field: str, reason: str) -> None:
    with pytest.raises(OfferError) as exc:
        from_json(text)
    assert exc.value.field == field
    assert reason in exc.value.reason


def test_nan_and_infinity_and_bad_bytes_are_refused() -> None:
    text = to_json(signed_bid())
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(OfferError) as exc:
            from_json(text.replace('"version": 1', f'"version": {constant}'))
        assert exc.value.field == "version"
        assert constant in exc.value.reason
    duplicated = text.replace('"salt": "42"', '"salt": "42", "salt": "43"')
    with pytest.raises(OfferError, match="appears twice"):
        from_json(duplicated)
    with pytest.raises(OfferError) as exc:
        from_json(b"\xff\xfe{}")
    assert (exc.value.field, exc.value.reason) == ("document", "not UTF-8 text")
    with pytest.raises(OfferError) as exc:
        from_json(12)  # type: ignore[arg-type]
    assert exc.value.field == "document"


def test_an_expired_offer_still_loads_but_does_not_verify() -> None:
    order = ask(maker=SELLER.address, claim_id=3, price=5, expiry=1)
    signed = sign_order(order, SELLER, market=MARKET, chain_id=CHAIN)
    loaded = from_json(to_json(signed))
    with pytest.raises(OfferError) as exc:
        verify_order(loaded)
    assert exc.value.field == "expiry"
