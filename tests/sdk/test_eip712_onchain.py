"""The SDK's EIP-712 hashes and signatures against the real contracts on a local anvil.

The contracts (``ClaimToken``, which creates ``ClaimMarket``, and ``MockUSDC``) are compiled from this checkout
with the pinned solc-js through ``tools/solc-bridge.js`` and deployed on an anvil of this module's own (free
port, killed at the end).

- Orders: ``ClaimMarket.hashOrder`` equals :func:`pyclaims.eip712.struct_hash_order` over random values of
  every Solidity range; ``domainSeparator()`` equals ours; an SDK signature passes the market's signature check
  (the call gets past it and fails later, for want of a claim), while its high-s twin and a stranger's
  signature fail it with ``ClaimMarketInvalidSignature``.
- Attestations and validations: ``attestBySig`` / ``mintBySig`` signed by a random key that holds no role
  revert with ``ClaimTokenUnauthorizedSigner(signer, role)``, and ``signer`` is exactly the SDK signer's
  address: the token recovered it from *its* digest, so the two digests are equal.
- End to end: a verifier-signed attestation, a validator-signed mint, an ask and a class bid handed over as
  JSON offer documents and filled, with the market's order hash and payment equal to the SDK's.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from anvil import REPO_ROOT, Anvil, dev_account
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from pyclaims import eip712, offers
from pyclaims.eip712 import SECP256K1_N, ZERO_ADDRESS, LocalSigner
from pyclaims.types import ClaimStatus, Side

pytestmark = pytest.mark.slow

_UNITS = ("contracts/ClaimToken.sol", "contracts/mocks/MockUSDC.sol")


@dataclass(frozen=True)
class Artifact:
    abi: list[dict[str, Any]]
    bytecode: str


@cache
def compiled() -> dict[str, Artifact]:
    """ClaimToken, ClaimMarket and MockUSDC, compiled once per test process (cancun, optimizer on)."""
    request = {
        "language": "Solidity",
        "sources": {unit: {"content": (REPO_ROOT / unit).read_text(encoding="utf-8")} for unit in _UNITS},
        "settings": {
            "evmVersion": "cancun",
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    }
    result = subprocess.run(
        ["node", "tools/solc-bridge.js", "--standard-json", "--base-path", ".", "--include-path", "node_modules"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
        timeout=600,
    )
    output = json.loads(result.stdout)
    errors = [e["formattedMessage"] for e in output.get("errors", []) if e["severity"] == "error"]
    assert not errors, errors
    out: dict[str, Artifact] = {}
    for unit, name in (
        ("contracts/ClaimToken.sol", "ClaimToken"),
        ("contracts/ClaimMarket.sol", "ClaimMarket"),
        ("contracts/mocks/MockUSDC.sol", "MockUSDC"),
    ):
        body = output["contracts"][unit][name]
        out[name] = Artifact(body["abi"], body["evm"]["bytecode"]["object"])
    return out


@dataclass(frozen=True)
class Chain:
    w3: Web3
    chain_id: int
    admin: str
    token: Contract
    market: Contract
    usdc: Contract

    def transact(self, sender: str, call: Any) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(
            call.transact({"from": sender}), timeout=30, poll_latency=0.01
        )
        assert receipt["status"] == 1
        return receipt

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


def _deploy(w3: Web3, sender: str, artifact: Artifact, *args: Any) -> ChecksumAddress:
    tx = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode).constructor(*args).transact({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=30, poll_latency=0.01)
    assert receipt["status"] == 1
    address = receipt["contractAddress"]
    assert address is not None
    return Web3.to_checksum_address(address)


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    artifacts = compiled()
    with Anvil() as node:
        w3 = node.web3()
        admin = dev_account(0).address
        usdc = w3.eth.contract(address=_deploy(w3, admin, artifacts["MockUSDC"]), abi=artifacts["MockUSDC"].abi)
        token_address = _deploy(w3, admin, artifacts["ClaimToken"], usdc.address, admin)
        token = w3.eth.contract(address=token_address, abi=artifacts["ClaimToken"].abi)
        market_address = Web3.to_checksum_address(token.functions.market().call())
        market = w3.eth.contract(address=market_address, abi=artifacts["ClaimMarket"].abi)
        yield Chain(w3, int(w3.eth.chain_id), admin, token, market, usdc)


def selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


INVALID_SIGNATURE = selector("ClaimMarketInvalidSignature(bytes32,address)")
UNAUTHORIZED_SIGNER = selector("ClaimTokenUnauthorizedSigner(address,bytes32)")
HIGH_S = selector("ECDSAInvalidSignatureS(bytes32)")


def revert_data(call: Any, sender: str) -> str:
    """The revert data of an ``eth_call`` that must revert."""
    with pytest.raises(ContractLogicError) as exc:
        call.call({"from": sender})
    data = exc.value.data
    assert isinstance(data, str), exc.value
    return data


def as_tuple(order: Any) -> tuple[Any, ...]:
    return (
        order.maker,
        order.taker,
        int(order.side),
        order.class_id,
        order.claim_id,
        order.price,
        order.max_amount,
        order.expiry,
        order.counter,
        order.salt,
    )


def high_s_twin(signature: bytes) -> bytes:
    s = int.from_bytes(signature[32:64], "big")
    return signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes((55 - signature[64],))


@dataclass(frozen=True)
class RawOrder:
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


def uints(bits: int) -> st.SearchStrategy[int]:
    top = 2**bits - 1
    return st.one_of(st.sampled_from([0, 1, top]), st.integers(0, top))


addresses = st.binary(min_size=20, max_size=20).map(Web3.to_checksum_address)
keys = st.integers(1, SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))
ONCHAIN = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# ---------------------------------------------------------------------------------------------------------
# Constants and domains


def test_typehashes_and_domains_match_the_contracts(chain: Chain) -> None:
    assert chain.market.functions.ORDER_TYPEHASH().call() == eip712.ORDER_TYPEHASH
    assert chain.token.functions.ATTESTATION_TYPEHASH().call() == eip712.ATTESTATION_REQUEST_TYPEHASH
    assert chain.token.functions.VALIDATION_TYPEHASH().call() == eip712.VALIDATION_TYPEHASH
    market_domain = eip712.market_domain(chain.chain_id, chain.market.address)
    assert chain.market.functions.domainSeparator().call() == market_domain.separator
    for contract, name in ((chain.market, "pyclaims ClaimMarket"), (chain.token, "pyclaims ClaimToken")):
        _, got_name, version, chain_id, verifying, _, _ = contract.functions.eip712Domain().call()  # ERC-5267
        assert (got_name, version, chain_id, verifying) == (name, "1", chain.chain_id, contract.address)
    assert chain.market.functions.PRICE_SCALE().call() == offers.PRICE_SCALE


# ---------------------------------------------------------------------------------------------------------
# Orders


@ONCHAIN
@given(
    st.builds(
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
)
def test_hash_order_equals_the_markets(chain: Chain, order: RawOrder) -> None:
    assert chain.market.functions.hashOrder(as_tuple(order)).call() == eip712.struct_hash_order(order)


@ONCHAIN
@given(keys, st.integers(1, 2**256 - 1), st.integers(1, 2**256 - 1), st.integers(0, 2**256 - 1))
def test_an_sdk_signed_ask_passes_the_markets_signature_check(
    chain: Chain, key: bytes, claim_id: int, price: int, salt: int
) -> None:
    signer = LocalSigner(key)
    order = offers.ask(maker=signer.address, claim_id=claim_id, price=price, expiry=chain.now() + 3600, salt=salt)
    signed = offers.sign_order(order, signer, market=chain.market.address, chain_id=chain.chain_id)
    buyer = dev_account(5).address
    assert chain.market.functions.hashOrder(as_tuple(order)).call() == offers.order_hash(order)

    # Past the signature check: the call fails later (the maker is not attested / holds no such claim).
    accepted = revert_data(chain.market.functions.fillAsk(as_tuple(order), signed.signature), buyer)
    assert not accepted.startswith(INVALID_SIGNATURE)

    for bad in (high_s_twin(signed.signature), LocalSigner(b"\x01" * 32).sign_digest(signed.digest)):
        rejected = revert_data(chain.market.functions.fillAsk(as_tuple(order), bad), buyer)
        assert rejected.startswith(INVALID_SIGNATURE)
        assert rejected[10:74] == offers.order_hash(order).hex()  # ClaimMarketInvalidSignature(orderHash, maker)


# ---------------------------------------------------------------------------------------------------------
# Attestations and validations: the token recovers exactly the SDK signer


def _recovered_signer(data: str, role: bytes) -> str:
    assert data.startswith(UNAUTHORIZED_SIGNER), data
    body = bytes.fromhex(data[10:])
    assert body[32:64] == role
    return Web3.to_checksum_address(body[12:32])


@ONCHAIN
@given(
    keys,
    addresses.filter(lambda a: a != ZERO_ADDRESS),
    uints(64),
    uints(16),
    uints(40),
    uints(32),
    st.integers(2**40, 2**64 - 1),
)
def test_attestation_digest_equals_the_tokens(
    chain: Chain, key: bytes, wallet: str, entity_id: int, country: int, expiry: int, flags: int, deadline: int
) -> None:
    signer = LocalSigner(key)
    values: dict[str, Any] = {
        "wallet": wallet,
        "entity_id": entity_id,
        "country": country,
        "expiry": expiry,
        "flags": flags,
        "nonce": 0,  # the wallet's current nonce: never attested
        "deadline": deadline,
    }
    domain = eip712.token_domain(chain.chain_id, chain.token.address)
    signature = signer.sign_digest(eip712.digest(domain.separator, eip712.struct_hash_attestation(**values)))
    request = (wallet, entity_id, country, expiry, flags, 0, deadline)
    data = revert_data(chain.token.functions.attestBySig(request, signature), chain.admin)
    assert _recovered_signer(data, keccak(text="VERIFIER_ROLE")) == signer.address
    high = revert_data(chain.token.functions.attestBySig(request, high_s_twin(signature)), chain.admin)
    assert high.startswith(HIGH_S)


@ONCHAIN
@given(
    keys,
    st.binary(min_size=32, max_size=32),
    uints(32),
    addresses,
    uints(96),
    uints(8),
    st.binary(min_size=32, max_size=32),
    st.integers(2**40, 2**64 - 1),
)
def test_validation_digest_equals_the_tokens(
    chain: Chain,
    key: bytes,
    claim_ref: bytes,
    class_id: int,
    holder: str,
    amount: int,
    status: int,
    evidence: bytes,
    deadline: int,
) -> None:
    signer = LocalSigner(key)
    domain = eip712.token_domain(chain.chain_id, chain.token.address)
    struct = eip712.struct_hash_validation(
        claim_ref=claim_ref,
        class_id=class_id,
        holder=holder,
        amount=amount,
        status=status,
        evidence=evidence,
        deadline=deadline,
    )
    signature = signer.sign_digest(eip712.digest(domain.separator, struct))
    request = (claim_ref, class_id, holder, amount, status, evidence)
    data = revert_data(chain.token.functions.mintBySig(request, deadline, signature), chain.admin)
    assert _recovered_signer(data, keccak(text="VALIDATOR_ROLE")) == signer.address


# ---------------------------------------------------------------------------------------------------------
# End to end: signed onboarding, signed mint, offers handed over as JSON and filled


def test_signed_attestation_mint_ask_and_class_bid_settle(chain: Chain) -> None:
    verifier, validator = LocalSigner(bytes(dev_account(1).key)), LocalSigner(bytes(dev_account(2).key))
    seller, buyer = LocalSigner(bytes(dev_account(3).key)), LocalSigner(bytes(dev_account(4).key))
    token, market, usdc = chain.token.functions, chain.market.functions, chain.usdc.functions
    chain.transact(chain.admin, token.grantRole(keccak(text="VERIFIER_ROLE"), verifier.address))
    chain.transact(chain.admin, token.grantRole(keccak(text="VALIDATOR_ROLE"), validator.address))
    domain = eip712.token_domain(chain.chain_id, chain.token.address)
    now = chain.now()

    # Onboarding by signature (anyone submits; here the wallet itself).
    for entity, who in ((11, seller), (12, buyer)):
        values: dict[str, Any] = {
            "wallet": who.address,
            "entity_id": entity,
            "country": 276,
            "expiry": now + 86_400,
            "flags": 0b101,
            "nonce": token.attestationOf(who.address).call()[4],
            "deadline": now + 600,
        }
        signature = verifier.sign_digest(eip712.digest(domain.separator, eip712.struct_hash_attestation(**values)))
        request = tuple(values.values())
        chain.transact(who.address, token.attestBySig(request, signature))
        assert token.isEligible(who.address).call()

    # Validator-signed mints of two claims to the seller, in class 7.
    chain.transact(validator.address, token.defineClass(7, 1))
    claim_ids = []
    for number, amount in (("A-1", 120_000_000_000), ("A-2", 3_333_333)):
        values = {
            "claim_ref": keccak(text=f"ftx:{number}"),
            "class_id": 7,
            "holder": seller.address,
            "amount": amount,
            "status": int(ClaimStatus.Allowed),
            "evidence": keccak(text=f"evidence {number}"),
            "deadline": now + 600,
        }
        signature = validator.sign_digest(eip712.digest(domain.separator, eip712.struct_hash_validation(**values)))
        request = tuple(v for k, v in values.items() if k != "deadline")
        chain.transact(chain.admin, token.mintBySig(request, values["deadline"], signature))
        claim_ids.append(token.claimIdOf(values["claim_ref"]).call())
    first, second = claim_ids

    chain.transact(chain.admin, usdc.mint(buyer.address, 10**15))
    chain.transact(buyer.address, usdc.approve(chain.market.address, 2**256 - 1))

    # The seller's ask travels as a JSON document; the buyer loads it (all checks) and fills it.
    ask = offers.ask(maker=seller.address, claim_id=first, price=78_000_000_000, expiry=now + 3600)
    document = offers.sign_order(ask, seller, market=chain.market.address, chain_id=chain.chain_id).to_json()
    received = offers.from_json(document)
    offers.verify_order(received, now=chain.now())
    receipt = chain.transact(buyer.address, market.fillAsk(as_tuple(received.order), received.signature))
    assert chain.token.functions.ownerOf(first).call() == buyer.address
    assert usdc.balanceOf(seller.address).call() == ask.price
    (event,) = chain.market.events.OrderFilled().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["orderHash"] == offers.order_hash(ask) == received.hash

    # The buyer's class bid (65 cents on the dollar) travels to the seller, who sells claim 2 into it.
    bid = offers.class_bid(
        maker=buyer.address, class_id=7, price_per_million=650_000, max_amount=10**12, expiry=now + 3600
    )
    received = offers.from_json(
        offers.sign_order(bid, buyer, market=chain.market.address, chain_id=chain.chain_id).to_json()
    )
    assert received.order.side is Side.Bid
    before = usdc.balanceOf(seller.address).call()
    receipt = chain.transact(seller.address, market.fillBid(as_tuple(received.order), received.signature, second))
    paid = usdc.balanceOf(seller.address).call() - before
    assert paid == offers.payment_for(3_333_333, 650_000) == 2_166_666  # floored
    (event,) = chain.market.events.OrderFilled().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["orderHash"] == offers.order_hash(bid)
    assert tuple(market.orderState(offers.order_hash(bid)).call()) == (3_333_333, False)
    assert chain.token.functions.ownerOf(second).call() == buyer.address
