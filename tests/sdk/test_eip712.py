"""pyclaims.eip712 against eth-account 0.13.7 (the reference), differentially and over random values.

The reference documents below are written out independently from docs/DESIGN.md (not produced by the code
under test), so a wrong type string in pyclaims would make the digests differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import coincurve
import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyclaims import eip712
from pyclaims.eip712 import (
    SECP256K1_HALF_N,
    SECP256K1_N,
    ZERO_ADDRESS,
    Domain,
    Eip712Error,
    LocalSigner,
    SignatureError,
    Signer,
)

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "DESIGN.md"

# ---------------------------------------------------------------------------------------------------------
# Reference types, written out by hand from docs/DESIGN.md

REF_DOMAIN = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
REF_ORDER = [
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
]
REF_ATTESTATION = [
    {"name": "wallet", "type": "address"},
    {"name": "entityId", "type": "uint64"},
    {"name": "country", "type": "uint16"},
    {"name": "expiry", "type": "uint40"},
    {"name": "flags", "type": "uint32"},
    {"name": "nonce", "type": "uint32"},
    {"name": "deadline", "type": "uint64"},
]
REF_VALIDATION = [
    {"name": "claimRef", "type": "bytes32"},
    {"name": "classId", "type": "uint32"},
    {"name": "holder", "type": "address"},
    {"name": "amount", "type": "uint96"},
    {"name": "status", "type": "uint8"},
    {"name": "evidence", "type": "bytes32"},
    {"name": "deadline", "type": "uint64"},
]


def ref_document(
    primary: str, fields: list[dict[str, str]], domain: dict[str, Any], message: dict[str, Any]
) -> dict[str, Any]:
    return {
        "types": {"EIP712Domain": REF_DOMAIN, primary: fields},
        "primaryType": primary,
        "domain": domain,
        "message": message,
    }


def ref_digest(document: dict[str, Any]) -> bytes:
    return bytes(_hash_eip191_message(encode_typed_data(full_message=document)))


@dataclass(frozen=True)
class RawOrder:
    """An OrderLike with no rules beyond the Solidity types (pyclaims.offers.Order adds the side rules)."""

    maker: str
    taker: str
    side: int
    class_id: int
    claim_id: int
    price: int
    max_amount: int
    expiry: int
    counter: int
    salt: int


# ---------------------------------------------------------------------------------------------------------
# Strategies


def uints(bits: int) -> st.SearchStrategy[int]:
    top = 2**bits - 1
    return st.one_of(st.sampled_from([0, 1, top, top - 1]), st.integers(0, top))


addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)
bytes32s = st.binary(min_size=32, max_size=32)
chain_ids = st.one_of(st.sampled_from([1, 31337, 8453, 2**256 - 1]), st.integers(1, 2**256 - 1))
private_keys = st.integers(1, SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))


@st.composite
def domains(draw: st.DrawFn) -> Domain:
    return Domain(draw(st.text(max_size=40)), draw(st.text(max_size=8)), draw(chain_ids), draw(addresses))


raw_orders = st.builds(
    RawOrder,
    maker=addresses,
    taker=st.one_of(st.just(ZERO_ADDRESS), addresses),
    side=uints(8),
    class_id=uints(32),
    claim_id=uints(256),
    price=uints(256),
    max_amount=uints(256),
    expiry=uints(64),
    counter=uints(64),
    salt=uints(256),
)

attestations = st.fixed_dictionaries(
    {
        "wallet": addresses,
        "entity_id": uints(64),
        "country": uints(16),
        "expiry": uints(40),
        "flags": uints(32),
        "nonce": uints(32),
        "deadline": uints(64),
    }
)

validations = st.fixed_dictionaries(
    {
        "claim_ref": bytes32s,
        "class_id": uints(32),
        "holder": addresses,
        "amount": uints(96),
        "status": uints(8),
        "evidence": bytes32s,
        "deadline": uints(64),
    }
)

DIFF = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def order_message(o: RawOrder) -> dict[str, Any]:
    return {
        "maker": o.maker,
        "taker": o.taker,
        "side": o.side,
        "classId": o.class_id,
        "claimId": o.claim_id,
        "price": o.price,
        "maxAmount": o.max_amount,
        "expiry": o.expiry,
        "counter": o.counter,
        "salt": o.salt,
    }


def attestation_message(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "wallet": a["wallet"],
        "entityId": a["entity_id"],
        "country": a["country"],
        "expiry": a["expiry"],
        "flags": a["flags"],
        "nonce": a["nonce"],
        "deadline": a["deadline"],
    }


def validation_message(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "claimRef": v["claim_ref"],
        "classId": v["class_id"],
        "holder": v["holder"],
        "amount": v["amount"],
        "status": v["status"],
        "evidence": v["evidence"],
        "deadline": v["deadline"],
    }


# ---------------------------------------------------------------------------------------------------------
# Type strings and constants


def test_type_strings_are_the_design_pages_to_the_byte() -> None:
    design = DESIGN.read_text(encoding="utf-8")
    for type_string in (eip712.ORDER_TYPE, eip712.ATTESTATION_REQUEST_TYPE, eip712.VALIDATION_TYPE):
        assert re.search(rf"^{re.escape(type_string)}$", design, re.MULTILINE), type_string
    assert 'name `"pyclaims ClaimMarket"`, version `"1"`' in design
    assert 'name `"pyclaims ClaimToken"`, version `"1"`' in design
    assert eip712.MARKET_DOMAIN_NAME == "pyclaims ClaimMarket"
    assert eip712.TOKEN_DOMAIN_NAME == "pyclaims ClaimToken"
    assert eip712.DOMAIN_VERSION == "1"


def test_typehashes_are_keccak_of_the_type_strings() -> None:
    assert keccak(text=eip712.ORDER_TYPE) == eip712.ORDER_TYPEHASH
    assert keccak(text=eip712.ATTESTATION_REQUEST_TYPE) == eip712.ATTESTATION_REQUEST_TYPEHASH
    assert keccak(text=eip712.VALIDATION_TYPE) == eip712.VALIDATION_TYPEHASH
    assert (
        keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
        == eip712.DOMAIN_TYPEHASH
    )


def test_keccak_backend_is_the_fast_one_here() -> None:
    assert eip712.KECCAK_BACKEND == "safe-pysha3"
    assert eip712.keccak256(b"") == bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")


@given(st.binary(max_size=300))
def test_keccak256_matches_eth_utils(data: bytes) -> None:
    assert eip712.keccak256(data) == keccak(data)


@given(st.binary(min_size=20, max_size=20))
def test_checksum_address_matches_eth_utils(raw: bytes) -> None:
    expected = to_checksum_address(raw)
    assert eip712.checksum_address(raw) == expected
    assert eip712.checksum_address("0x" + raw.hex()) == expected
    assert eip712.checksum_address("0x" + raw.hex().upper()) == expected


@pytest.mark.parametrize("bad", ["", "0x", "0x" + "a" * 39, "0x" + "g" * 40, "a" * 42, b"\x00" * 19])
def test_checksum_address_rejects_malformed(bad: str | bytes) -> None:
    with pytest.raises(Eip712Error) as exc:
        eip712.checksum_address(bad)
    assert exc.value.field == "address"


# ---------------------------------------------------------------------------------------------------------
# Domains


@DIFF
@given(domains())
def test_domain_separator_matches_eth_account(domain: Domain) -> None:
    document = ref_document(
        "Order",
        REF_ORDER,
        domain.as_dict(),
        order_message(RawOrder(ZERO_ADDRESS, ZERO_ADDRESS, 0, 0, 0, 0, 0, 0, 0, 0)),
    )
    assert encode_typed_data(full_message=document).header == domain.separator
    assert domain.separator == eip712.domain_separator(
        domain.name, domain.version, domain.chain_id, domain.verifying_contract
    )


def test_market_and_token_domains_have_the_design_names() -> None:
    contract = to_checksum_address("0x" + "ab" * 20)
    market = eip712.market_domain(31337, contract)
    token = eip712.token_domain(31337, contract)
    assert (market.name, market.version, market.chain_id) == ("pyclaims ClaimMarket", "1", 31337)
    assert (token.name, token.version, token.chain_id) == ("pyclaims ClaimToken", "1", 31337)
    assert market.separator != token.separator
    assert eip712.market_domain(1, contract).separator != market.separator


def test_domain_normalizes_the_contract_address_and_checks_a_given_separator() -> None:
    contract = to_checksum_address("0x" + "cd" * 20)
    domain = Domain("n", "1", 5, contract.lower())
    assert domain.verifying_contract == contract
    assert Domain("n", "1", 5, contract, domain.separator) == domain
    with pytest.raises(Eip712Error) as exc:
        Domain("n", "1", 5, contract, b"\x01" * 32)
    assert exc.value.field == "separator"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((1, "1", 1, ZERO_ADDRESS), "name"),
        (("n", 1, 1, ZERO_ADDRESS), "version"),
        (("n", "1", 0, ZERO_ADDRESS), "chainId"),
        (("n", "1", -1, ZERO_ADDRESS), "chainId"),
        (("n", "1", 2**256, ZERO_ADDRESS), "chainId"),
        (("n", "1", True, ZERO_ADDRESS), "chainId"),
        (("n", "1", 1, "0x1234"), "verifyingContract"),
    ],
)
def test_domain_separator_rejects_bad_values(args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(Eip712Error) as exc:
        eip712.domain_separator(*args)
    assert exc.value.field == field


def test_digest_rejects_wrong_lengths() -> None:
    with pytest.raises(Eip712Error, match="domainSeparator"):
        eip712.digest(b"\x00" * 31, b"\x00" * 32)
    with pytest.raises(Eip712Error, match="structHash"):
        eip712.digest(b"\x00" * 32, b"\x00" * 33)


# ---------------------------------------------------------------------------------------------------------
# Differential: digests and signatures equal eth-account's


@DIFF
@given(raw_orders, domains(), private_keys)
def test_order_digest_and_signature_equal_eth_account(order: RawOrder, domain: Domain, key: bytes) -> None:
    document = ref_document("Order", REF_ORDER, domain.as_dict(), order_message(order))
    ours = eip712.digest(domain.separator, eip712.struct_hash_order(order))
    assert ours == ref_digest(document)
    assert eip712.typed_data_order(order, domain) == document

    signer = LocalSigner(key)
    signature = signer.sign_digest(ours)
    reference = Account.sign_typed_data(key, full_message=document)
    assert signature == bytes(reference.signature)
    assert signer.address == Account.from_key(key).address
    assert eip712.recover(ours, signature) == signer.address
    assert eip712.verify(ours, signature, signer.address)


@DIFF
@given(attestations, domains(), private_keys)
def test_attestation_digest_and_signature_equal_eth_account(values: dict[str, Any], domain: Domain, key: bytes) -> None:
    document = ref_document("AttestationRequest", REF_ATTESTATION, domain.as_dict(), attestation_message(values))
    ours = eip712.digest(domain.separator, eip712.struct_hash_attestation(**values))
    assert ours == ref_digest(document)
    assert eip712.typed_data_attestation(domain, **values) == document
    signature = LocalSigner(key).sign_digest(ours)
    assert signature == bytes(Account.sign_typed_data(key, full_message=document).signature)


@DIFF
@given(validations, domains(), private_keys)
def test_validation_digest_and_signature_equal_eth_account(values: dict[str, Any], domain: Domain, key: bytes) -> None:
    document = ref_document("Validation", REF_VALIDATION, domain.as_dict(), validation_message(values))
    ours = eip712.digest(domain.separator, eip712.struct_hash_validation(**values))
    assert ours == ref_digest(document)
    typed = eip712.typed_data_validation(domain, **values)
    assert typed["message"]["claimRef"] == "0x" + values["claim_ref"].hex()
    assert ref_digest(typed) == ours  # the hex-string form is what eth_signTypedData_v4 wallets get
    signature = LocalSigner(key).sign_digest(ours)
    assert signature == bytes(Account.sign_typed_data(key, full_message=document).signature)


def test_struct_hashes_depend_on_every_field() -> None:
    base = RawOrder(to_checksum_address("0x" + "11" * 20), ZERO_ADDRESS, 1, 2, 3, 4, 5, 6, 7, 8)
    seen = {eip712.struct_hash_order(base)}
    for name in ("side", "class_id", "claim_id", "price", "max_amount", "expiry", "counter", "salt"):
        seen.add(eip712.struct_hash_order(replace(base, **{name: getattr(base, name) + 1})))
    seen.add(eip712.struct_hash_order(replace(base, maker=ZERO_ADDRESS)))
    seen.add(eip712.struct_hash_order(replace(base, taker=base.maker)))
    assert len(seen) == 11


# ---------------------------------------------------------------------------------------------------------
# Signatures: low-s, v, malleability


@settings(max_examples=200, deadline=None)
@given(private_keys, bytes32s)
def test_signatures_are_low_s_with_v_27_or_28(key: bytes, digest: bytes) -> None:
    signature = LocalSigner(key).sign_digest(digest)
    assert len(signature) == 65
    assert signature[64] in (27, 28)
    s = int.from_bytes(signature[32:64], "big")
    assert 0 < s <= SECP256K1_HALF_N


def high_s_twin(signature: bytes) -> bytes:
    """The other valid signature of the same digest by the same key: (r, n - s) with the recovery id flipped."""
    s = int.from_bytes(signature[32:64], "big")
    return signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes((55 - signature[64],))


@settings(max_examples=50, deadline=None)
@given(private_keys, bytes32s)
def test_high_s_twin_is_rejected(key: bytes, digest: bytes) -> None:
    signer = LocalSigner(key)
    low = signer.sign_digest(digest)
    high = high_s_twin(low)
    # The twin really is a valid ECDSA signature by the same key: libsecp256k1 recovers the same public key.
    twin_key = coincurve.PublicKey.from_signature_and_message(high[:64] + bytes((high[64] - 27,)), digest, hasher=None)
    assert twin_key == coincurve.PrivateKey(key).public_key
    with pytest.raises(SignatureError, match="high-s") as exc:
        eip712.recover(digest, high)
    assert exc.value.field == "signature"
    assert not eip712.verify(digest, high, signer.address)
    assert eip712.verify(digest, low, signer.address)


def _sig(r: int, s: int, v: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((v,))


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (b"\x00" * 64, "expected 65 bytes"),
        (b"\x00" * 66, "expected 65 bytes"),
        (_sig(1, 1, 0), "v must be 27 or 28"),
        (_sig(1, 1, 1), "v must be 27 or 28"),
        (_sig(1, 1, 29), "v must be 27 or 28"),
        (_sig(0, 1, 27), "r is out of range"),
        (_sig(SECP256K1_N, 1, 27), "r is out of range"),
        (_sig(1, 0, 27), "s is zero"),
        (_sig(1, SECP256K1_HALF_N + 1, 27), "high-s"),
        ("0x" + "00" * 65, "expected bytes"),
    ],
    ids=["64-bytes", "66-bytes", "v0", "v1", "v29", "r0", "r-n", "s0", "high-s", "hex-str"],
)
def test_recover_rejects_malformed_signatures(signature: Any, reason: str) -> None:
    digest = b"\x42" * 32
    with pytest.raises(SignatureError, match=reason):
        eip712.recover(digest, signature)
    assert not eip712.verify(digest, signature, ZERO_ADDRESS)


def test_recover_rejects_an_r_that_is_no_curve_point() -> None:
    # x = 5 is not the x coordinate of any secp256k1 point (5^3 + 7 = 132 is not a square mod p).
    with pytest.raises(SignatureError, match="recovers no public key"):
        eip712.recover(b"\x42" * 32, _sig(5, 1, 27))


def test_verify_is_false_for_another_address_and_another_digest() -> None:
    signer = LocalSigner(b"\x05" * 32)
    other = LocalSigner(b"\x06" * 32)
    digest = b"\x42" * 32
    signature = signer.sign_digest(digest)
    assert eip712.verify(digest, signature, signer.address)
    assert eip712.verify(digest, signature, signer.address.lower())
    assert not eip712.verify(digest, signature, other.address)
    assert not eip712.verify(b"\x43" * 32, signature, signer.address)
    with pytest.raises(Eip712Error) as exc:
        eip712.verify(digest, signature, "0x1234")
    assert exc.value.field == "address"
    with pytest.raises(Eip712Error) as exc:
        eip712.recover(b"\x42" * 31, signature)
    assert exc.value.field == "digest"


# ---------------------------------------------------------------------------------------------------------
# LocalSigner


def test_local_signer_accepts_bytes_and_hex_and_hides_the_key() -> None:
    key = bytes(range(1, 33))
    expected = Account.from_key(key).address
    for form in (key, key.hex(), "0x" + key.hex(), "0X" + key.hex().upper()):
        signer = LocalSigner(form)
        assert signer.address == expected
    assert key.hex() not in repr(signer)
    assert expected in repr(signer)
    assert isinstance(signer, Signer)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (b"\x01" * 31, "expected 32 bytes"),
        (b"\x00" * 32, "1..n-1"),
        (SECP256K1_N.to_bytes(32, "big"), "1..n-1"),
        ("0x" + "zz" * 32, "not hexadecimal"),
        ("0x" + "11" * 31, "64 hex digits"),
        (12345, "expected bytes or hex str"),
    ],
)
def test_local_signer_rejects_bad_keys(key: Any, reason: str) -> None:
    with pytest.raises(Eip712Error, match=reason) as exc:
        LocalSigner(key)
    assert exc.value.field == "private_key"


def test_sign_digest_rejects_a_wrong_length() -> None:
    with pytest.raises(Eip712Error) as exc:
        LocalSigner(b"\x01" * 32).sign_digest(b"\x00" * 31)
    assert exc.value.field == "digest"


# ---------------------------------------------------------------------------------------------------------
# Field validation: every field of every type names itself


ORDER_OK = RawOrder(to_checksum_address("0x" + "11" * 20), ZERO_ADDRESS, 0, 0, 1, 1, 0, 1, 0, 0)
ORDER_BAD = [
    ("maker", "0x" + "11" * 19, "maker"),
    ("maker", "0x" + "aB" * 20, "maker"),  # mixed case with a wrong checksum
    ("taker", 5, "taker"),
    ("side", 256, "side"),
    ("side", True, "side"),
    ("class_id", 2**32, "classId"),
    ("claim_id", 2**256, "claimId"),
    ("claim_id", -1, "claimId"),
    ("price", 2**256, "price"),
    ("price", 1.0, "price"),
    ("max_amount", -1, "maxAmount"),
    ("expiry", 2**64, "expiry"),
    ("counter", 2**64, "counter"),
    ("salt", "1", "salt"),
]


@pytest.mark.parametrize(("attr", "value", "field"), ORDER_BAD)
def test_struct_hash_order_names_the_bad_field(attr: str, value: Any, field: str) -> None:
    with pytest.raises(Eip712Error) as exc:
        eip712.struct_hash_order(replace(ORDER_OK, **{attr: value}))
    assert exc.value.field == field


ATTESTATION_OK: dict[str, Any] = {
    "wallet": ORDER_OK.maker,
    "entity_id": 1,
    "country": 840,
    "expiry": 2**40 - 1,
    "flags": 0,
    "nonce": 0,
    "deadline": 0,
}


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("wallet", "nope", "wallet"),
        ("entity_id", 2**64, "entityId"),
        ("country", 2**16, "country"),
        ("expiry", 2**40, "expiry"),
        ("flags", 2**32, "flags"),
        ("nonce", -1, "nonce"),
        ("deadline", 2**64, "deadline"),
    ],
)
def test_struct_hash_attestation_names_the_bad_field(name: str, value: Any, field: str) -> None:
    with pytest.raises(Eip712Error) as exc:
        eip712.struct_hash_attestation(**{**ATTESTATION_OK, name: value})
    assert exc.value.field == field
    with pytest.raises(Eip712Error):
        eip712.typed_data_attestation(eip712.token_domain(1, ORDER_OK.maker), **{**ATTESTATION_OK, name: value})


VALIDATION_OK: dict[str, Any] = {
    "claim_ref": b"\x01" * 32,
    "class_id": 1,
    "holder": ORDER_OK.maker,
    "amount": 2**96 - 1,
    "status": 0,
    "evidence": b"\x00" * 32,
    "deadline": 1,
}


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("claim_ref", b"\x01" * 31, "claimRef"),
        ("claim_ref", "0x" + "01" * 32, "claimRef"),
        ("class_id", 2**32, "classId"),
        ("holder", ORDER_OK.maker[:-1], "holder"),
        ("amount", 2**96, "amount"),
        ("status", 256, "status"),
        ("evidence", b"", "evidence"),
        ("deadline", 2**64, "deadline"),
    ],
)
def test_struct_hash_validation_names_the_bad_field(name: str, value: Any, field: str) -> None:
    with pytest.raises(Eip712Error) as exc:
        eip712.struct_hash_validation(**{**VALIDATION_OK, name: value})
    assert exc.value.field == field
    with pytest.raises(Eip712Error):
        eip712.typed_data_validation(eip712.token_domain(1, ORDER_OK.maker), **{**VALIDATION_OK, name: value})


def test_lowercase_addresses_hash_like_checksummed_ones() -> None:
    lowered = replace(ORDER_OK, maker=ORDER_OK.maker.lower())
    assert eip712.struct_hash_order(lowered) == eip712.struct_hash_order(ORDER_OK)
    typed = eip712.typed_data_order(lowered, eip712.market_domain(1, ORDER_OK.maker))
    assert typed["message"]["maker"] == ORDER_OK.maker
