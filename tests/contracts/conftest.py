"""Shared fixtures for the contract tests (pytest through Ape, on the npm anvil Ape's foundry provider starts).

One deployment per session (or per module for the hostile-stablecoin suites); Ape's pytest plugin takes a chain
snapshot after the session/module fixtures and reverts to it after every test, so each test starts from the same
state and may change anything. Stateful session fixtures are created up front (``_session_deployments``) and the
rest are declared stateless to Ape; a module with deployments of its own requests them all from one autouse module
fixture. Otherwise a fixture first named mid-module makes Ape rebase its snapshots, which it reports with an
``InvalidIsolationWarning`` (an error here: warnings are errors).

What a suite is (``Suite``): a ``ClaimToken`` deployed on one stablecoin, with the market and distributor its
constructor created, every role granted to its own account, the trading wallets attested, two classes defined,
stablecoin minted to the wallets that pay, and allowances given to the market (buyers) and the distributor (trust).

Accounts (Ape's test accounts: anvil's default mnemonic, keys known, so the SDK signs with them):

=========  ==========================================  ===========================================
index      fixture                                      role / attestation
=========  ==========================================  ===========================================
0          ``owner``                                    DEFAULT_ADMIN_ROLE; issuer of MockUSDC
1          ``verifier``                                 VERIFIER_ROLE
2          ``validator``                                VALIDATOR_ROLE
3          ``compliance``                               COMPLIANCE_ROLE
4          ``recovery``                                 RECOVERY_ROLE
5          ``pauser``                                   PAUSER_ROLE
6          ``trust``                                    DISTRIBUTOR_ROLE (funds rounds)
7          ``resolver``                                 RESOLVER_ROLE
8          ``buyer``                                    entity 1, US (840)
9          ``seller``                                   entity 2, US (840)
generated  ``seller_backup``                            entity 2 (the seller's second wallet), US
generated  ``buyer2``                                   entity 3, Germany (276)
generated  ``stranger``                                 entity 4, US: an attested third party
generated  ``unverified``                               never attested
=========  ==========================================  ===========================================

Orders are built and signed with the SDK (``pyclaims.offers`` / ``pyclaims.eip712``), so every fill here also
checks the SDK's EIP-712 encoding against the contract's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import ape
import pytest
from ape.exceptions import CustomError
from eth_utils import keccak

from pyclaims import offers
from pyclaims.eip712 import ZERO_ADDRESS, LocalSigner, market_domain

__all__ = [
    "ALLOWED",
    "CLASS",
    "DISPUTED",
    "EXPUNGED",
    "FAR",
    "OTHER_CLASS",
    "USD",
    "Suite",
]

USD = 1_000_000
"""One US dollar in stablecoin base units (6 decimals)."""
ALLOWED, DISPUTED, EXPUNGED = 0, 1, 2
CLASS = 1
"""The class every suite defines first (estate 1); claims are minted into it unless a test says otherwise."""
OTHER_CLASS = 2
"""A second class of the same estate."""
ESTATE = 1
US, GERMANY = 840, 276
FAR = 2**40 - 1
"""An attestation expiry (uint40) and order expiry far in the future: never reached by any test's clock."""
STARTING_BALANCE = 1_000_000 * USD
"""Stablecoin minted to each paying wallet of a suite."""

_refs = itertools.count(1)


def _address(value: Any) -> Any:
    """An account or contract as its checksummed address; anything else unchanged."""
    return getattr(value, "address", value)


@dataclass(frozen=True)
class Suite:
    """One deployed pyclaims suite and the people around it, with helpers that keep the tests short."""

    token: Any
    market: Any
    distributor: Any
    stablecoin: Any
    chain_id: int
    roles: dict[str, Any]
    wallets: dict[str, Any]
    signers: dict[str, LocalSigner] = field(repr=False)
    fast: dict[str, Any] = field(repr=False)
    """web3.py contract objects for the read-only look-ups the tests make by the dozen (an eth_call through
    web3 costs a few milliseconds; through Ape's contract layer about ten times that)."""

    # ------------------------------------------------------------------ people
    def __getattr__(self, name: str) -> Any:
        for group in ("roles", "wallets"):
            members = object.__getattribute__(self, group)
            if name in members:
                return members[name]
        raise AttributeError(name)

    def signer(self, account: Any) -> LocalSigner:
        """The SDK signer holding ``account``'s key."""
        address = _address(account)
        if address not in self.signers:
            self.signers[address] = LocalSigner(account.private_key)
        return self.signers[address]

    # ------------------------------------------------------------------ claims
    def mint(
        self,
        holder: Any,
        amount: int,
        *,
        status: int = ALLOWED,
        class_id: int = CLASS,
    ) -> int:
        """Mints a claim (validator) to ``holder``; returns its id."""
        ref = keccak(text=f"test-estate:{next(_refs)}")
        self.token.mint((ref, class_id, _address(holder), amount, status, b"\x00" * 32), sender=self.validator)
        claim_id = int(self.token.claimIdOf(ref))
        assert claim_id != 0
        return claim_id

    # ------------------------------------------------------------------ orders
    @staticmethod
    def t(order: offers.Order) -> tuple[Any, ...]:
        """An SDK order as the tuple the contract ABI takes."""
        return order.as_tuple()

    def sign(
        self, order: offers.Order, signer: Any, *, chain_id: int | None = None, market: Any | None = None
    ) -> offers.SignedOrder:
        """Signs ``order`` with the SDK as ``signer`` (an account or a LocalSigner), for this suite's market and
        chain unless ``market`` / ``chain_id`` say otherwise."""
        local = signer if isinstance(signer, LocalSigner) else self.signer(signer)
        return offers.sign_order(
            order,
            local,
            market=_address(market) if market is not None else self.market.address,
            chain_id=self.chain_id if chain_id is None else chain_id,
        )

    def raw_signature(
        self, order: offers.Order, signer: Any, *, chain_id: int | None = None, market: Any | None = None
    ) -> bytes:
        """A signature of ``order``'s EIP-712 digest by any key (the SDK refuses to sign for another maker;
        an attacker does not ask)."""
        local = signer if isinstance(signer, LocalSigner) else self.signer(signer)
        domain = market_domain(
            self.chain_id if chain_id is None else chain_id,
            _address(market) if market is not None else self.market.address,
        )
        return local.sign_digest(offers.order_digest(order, domain))

    def counter(self, maker: Any) -> int:
        return int(self.fast["market"].functions.counterOf(_address(maker)).call())

    def ask(self, seller: Any, claim_id: int, price: int, **kw: Any) -> offers.SignedOrder:
        """A signed ask: ``seller`` sells ``claim_id`` for ``price``. Keywords go to ``offers.ask``."""
        kw.setdefault("expiry", FAR)
        kw.setdefault("counter", self.counter(seller))
        kw["taker"] = _address(kw.get("taker", ZERO_ADDRESS))
        order = offers.ask(maker=_address(seller), claim_id=claim_id, price=price, **kw)
        return self.sign(order, seller)

    def bid(self, buyer: Any, claim_id: int, price: int, **kw: Any) -> offers.SignedOrder:
        """A signed specific bid: ``buyer`` buys ``claim_id`` for ``price``."""
        kw.setdefault("expiry", FAR)
        kw.setdefault("counter", self.counter(buyer))
        kw["taker"] = _address(kw.get("taker", ZERO_ADDRESS))
        order = offers.bid_for_claim(maker=_address(buyer), claim_id=claim_id, price=price, **kw)
        return self.sign(order, buyer)

    def class_bid(
        self, buyer: Any, price_per_million: int, max_amount: int, *, class_id: int = CLASS, **kw: Any
    ) -> offers.SignedOrder:
        """A signed class bid: ``buyer`` buys claims of ``class_id`` at ``price_per_million`` up to ``max_amount``."""
        kw.setdefault("expiry", FAR)
        kw.setdefault("counter", self.counter(buyer))
        kw["taker"] = _address(kw.get("taker", ZERO_ADDRESS))
        order = offers.class_bid(
            maker=_address(buyer),
            class_id=class_id,
            price_per_million=price_per_million,
            max_amount=max_amount,
            **kw,
        )
        return self.sign(order, buyer)

    def fill_ask(self, signed: offers.SignedOrder, buyer: Any, signature: bytes | None = None) -> Any:
        return self.market.fillAsk(
            self.t(signed.order), signed.signature if signature is None else signature, sender=buyer
        )

    def fill_bid(self, signed: offers.SignedOrder, seller: Any, claim_id: int, signature: bytes | None = None) -> Any:
        return self.market.fillBid(
            self.t(signed.order), signed.signature if signature is None else signature, claim_id, sender=seller
        )

    def deposit(self, signed: offers.SignedOrder, amount: int, sender: Any | None = None) -> Any:
        maker = sender if sender is not None else self._account_of(signed.order.maker)
        return self.market.deposit(self.t(signed.order), amount, sender=maker)

    def _account_of(self, address: str) -> Any:
        for group in (self.wallets, self.roles):
            for account in group.values():
                if _address(account) == address:
                    return account
        raise AssertionError(f"no known account {address}")

    # ------------------------------------------------------------------ observations
    def balance(self, who: Any) -> int:
        return int(self.fast["stablecoin"].functions.balanceOf(_address(who)).call())

    def holder(self, claim_id: int) -> str:
        return str(self.fast["token"].functions.ownerOf(claim_id).call())

    def order_state(self, signed: offers.SignedOrder) -> tuple[int, bool]:
        filled, cancelled = self.fast["market"].functions.orderState(signed.hash).call()
        return int(filled), bool(cancelled)

    def deposit_of(self, signed: offers.SignedOrder) -> tuple[str, int]:
        buyer, amount = self.fast["market"].functions.depositOf(signed.hash).call()
        return str(buyer), int(amount)

    def escrow(self, signed: offers.SignedOrder) -> int:
        """The deposit an escrowed bid holds now."""
        return self.deposit_of(signed)[1]

    def total_deposits(self) -> int:
        return int(self.fast["market"].functions.totalDeposits().call())

    def state(
        self, *, claims: Sequence[int] = (), orders: Sequence[offers.SignedOrder] = (), wallets: Sequence[Any] = ()
    ) -> dict[str, Any]:
        """Everything a settlement could move: claim holders, stablecoin balances (the named wallets, the market,
        the distributor), order states, deposits, counters and the market's deposit total."""
        people = {*map(_address, wallets), *(o.order.maker for o in orders)}
        return {
            "holders": {c: self.holder(c) for c in claims},
            "balances": {a: self.balance(a) for a in sorted(people)},
            "market": self.balance(self.market),
            "distributor": self.balance(self.distributor),
            "total_deposits": self.total_deposits(),
            "orders": {o.hash.hex(): self.order_state(o) for o in orders},
            "deposits": {o.hash.hex(): self.deposit_of(o) for o in orders},
            "counters": {a: self.counter(a) for a in sorted(people)},
        }

    def assert_escrow_covered(self) -> None:
        """The market holds at least the sum of open deposits (exactly it on a token without fees)."""
        assert self.balance(self.market) >= self.total_deposits()


# ---------------------------------------------------------------------------------------------------------------
# Reverts: ape.reverts plus checks that the revert really is that custom error with those values.


def _normalize(value: Any) -> Any:
    value = _address(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


@contextmanager
def _reverts(error: Any, **inputs: Any) -> Iterator[Any]:
    """Asserts that the body reverts with the custom error ``error`` (e.g. ``market.ClaimMarketOrderFilled``) and,
    for each keyword, that the error carries that input with that value.

    Built on ``ape.reverts()``, with checks of its own: Ape skips the type check when it could not decode the
    revert, skips inputs it does not find, and compares error classes per contract instance (an error raised by
    the token inside a market call decodes against the market's merged ABI, see ``_register_errors``), so the
    name, the signature and every named input are compared here. ``error`` may also be a revert string."""
    with ape.reverts() as info:
        yield info
    exc = info.value
    if isinstance(error, str):
        assert exc.revert_message == error, f"expected revert {error!r}, got {exc.revert_message!r}"
        assert not inputs
        return
    name = error.__name__
    assert isinstance(exc, CustomError), f"expected {name}, got a revert Ape could not decode: {exc!r}"
    assert type(exc).__name__ == name, f"expected {name}, got {type(exc).__name__}{dict(exc.inputs)}"
    declared = {abi.signature for abi in error.contract.contract_type.errors}
    assert error.abi.signature in declared, f"{name} is not declared by {error.contract}"
    assert exc.abi.signature == error.abi.signature
    for key, expected in inputs.items():
        assert key in exc.inputs, f"{name} has no input {key!r} (inputs: {sorted(exc.inputs)})"
        actual = exc.inputs[key]
        assert _normalize(actual) == _normalize(expected), f"{name}.{key}: {actual!r} != {expected!r}"


def _web3_contract(chain: Any, instance: Any) -> Any:
    """A web3.py contract object for an Ape contract instance (same address, same ABI)."""
    abi = [entry.model_dump(by_alias=True, mode="json") for entry in instance.contract_type.abi]
    return chain.provider.web3.eth.contract(address=instance.address, abi=abi)


def _register_errors(chain: Any, project: Any, *instances: Any) -> None:
    """Caches, for each contract address, its ABI plus every custom error of the project's contracts.

    A revert raised by a contract further down the call (the token inside a market fill, the stablecoin inside a
    payout) is then decoded from the called contract's ABI. Without it Ape 0.8.51 looks for the raising contract
    by walking the transaction's full opcode trace, several seconds per revert."""
    errors: dict[str, Any] = {}
    for name in (
        "ClaimToken",
        "ClaimMarket",
        "ClaimDistributor",
        "MockUSDC",
        "FeeOnTransferToken",
        "NoReturnToken",
        "CallbackToken",
        "ReentrantReceiver",
        "MockERC1271Wallet",
    ):
        for abi in getattr(project, name).contract_type.errors:
            errors.setdefault(abi.signature, abi)
    for instance in instances:
        own = instance.contract_type
        mine = {abi.signature for abi in own.errors}
        extra = [abi for sig, abi in errors.items() if sig not in mine]
        merged = own.model_copy(update={"abi": [*own.abi, *extra]}, deep=True)
        chain.contracts.cache_contract_type(instance.address, merged)


@ape.fixture(scope="session", chain_isolation=False)
def reverts() -> Callable[..., AbstractContextManager[Any]]:
    """``with reverts(contract.SomeError, field=value): ...`` — the exact custom error, with its values."""
    return _reverts


# ---------------------------------------------------------------------------------------------------------------
# Accounts


@ape.fixture(scope="session", chain_isolation=False)
def owner(accounts: Any) -> Any:
    return accounts[0]


@ape.fixture(scope="session", chain_isolation=False)
def verifier(accounts: Any) -> Any:
    return accounts[1]


@ape.fixture(scope="session", chain_isolation=False)
def validator(accounts: Any) -> Any:
    return accounts[2]


@ape.fixture(scope="session", chain_isolation=False)
def compliance(accounts: Any) -> Any:
    return accounts[3]


@ape.fixture(scope="session", chain_isolation=False)
def recovery(accounts: Any) -> Any:
    return accounts[4]


@ape.fixture(scope="session", chain_isolation=False)
def pauser(accounts: Any) -> Any:
    return accounts[5]


@ape.fixture(scope="session", chain_isolation=False)
def trust(accounts: Any) -> Any:
    """The bankruptcy trust: holds DISTRIBUTOR_ROLE and funds the rounds."""
    return accounts[6]


@ape.fixture(scope="session", chain_isolation=False)
def resolver(accounts: Any) -> Any:
    return accounts[7]


@ape.fixture(scope="session", chain_isolation=False)
def buyer(accounts: Any) -> Any:
    return accounts[8]


@ape.fixture(scope="session", chain_isolation=False)
def seller(accounts: Any) -> Any:
    return accounts[9]


@pytest.fixture(scope="session")
def extra_accounts(accounts: Any, chain: Any) -> dict[str, Any]:
    """Four more funded test accounts (keys known): seller_backup, buyer2, stranger, unverified."""
    out = {}
    for name in ("seller_backup", "buyer2", "stranger", "unverified"):
        account = accounts.generate_test_account()
        chain.set_balance(account, 10**22)
        out[name] = account
    return out


@ape.fixture(scope="session", chain_isolation=False)
def seller_backup(extra_accounts: dict[str, Any]) -> Any:
    return extra_accounts["seller_backup"]


@ape.fixture(scope="session", chain_isolation=False)
def buyer2(extra_accounts: dict[str, Any]) -> Any:
    return extra_accounts["buyer2"]


@ape.fixture(scope="session", chain_isolation=False)
def stranger(extra_accounts: dict[str, Any]) -> Any:
    return extra_accounts["stranger"]


@ape.fixture(scope="session", chain_isolation=False)
def unverified(extra_accounts: dict[str, Any]) -> Any:
    return extra_accounts["unverified"]


# ---------------------------------------------------------------------------------------------------------------
# Suites


@ape.fixture(scope="session", chain_isolation=False)
def people(
    owner: Any,
    verifier: Any,
    validator: Any,
    compliance: Any,
    recovery: Any,
    pauser: Any,
    trust: Any,
    resolver: Any,
    buyer: Any,
    seller: Any,
    extra_accounts: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    return {
        "roles": {
            "owner": owner,
            "verifier": verifier,
            "validator": validator,
            "compliance": compliance,
            "recovery": recovery,
            "pauser": pauser,
            "trust": trust,
            "resolver": resolver,
        },
        "wallets": {"buyer": buyer, "seller": seller, **extra_accounts},
    }


@ape.fixture(scope="session", chain_isolation=False)
def deploy_suite(project: Any, chain: Any, people: dict[str, dict[str, Any]]) -> Callable[[Any], Suite]:
    """``deploy_suite(stablecoin)``: a complete, configured suite on ``stablecoin`` (any of the mocks)."""
    roles, wallets = people["roles"], people["wallets"]

    def deploy(stablecoin: Any) -> Suite:
        owner = roles["owner"]
        token = project.ClaimToken.deploy(stablecoin, owner, sender=owner)
        market = project.ClaimMarket.at(token.market())
        distributor = project.ClaimDistributor.at(token.distributor())
        for role, who in (
            ("VERIFIER_ROLE", "verifier"),
            ("VALIDATOR_ROLE", "validator"),
            ("COMPLIANCE_ROLE", "compliance"),
            ("RECOVERY_ROLE", "recovery"),
            ("PAUSER_ROLE", "pauser"),
            ("DISTRIBUTOR_ROLE", "trust"),
            ("RESOLVER_ROLE", "resolver"),
        ):
            token.grantRole(getattr(token, role)(), roles[who], sender=owner)
        verifier = roles["verifier"]
        for name, entity, country in (
            ("buyer", 1, US),
            ("seller", 2, US),
            ("seller_backup", 2, US),
            ("buyer2", 3, GERMANY),
            ("stranger", 4, US),
        ):
            token.attest(wallets[name], entity, country, FAR, 0, sender=verifier)
        token.defineClass(CLASS, ESTATE, sender=roles["validator"])
        token.defineClass(OTHER_CLASS, ESTATE, sender=roles["validator"])
        issuer = owner
        for payer in ("buyer", "buyer2", "stranger", "seller"):
            stablecoin.mint(wallets[payer], STARTING_BALANCE, sender=issuer)
            stablecoin.approve(market, 2**256 - 1, sender=wallets[payer])
        stablecoin.mint(roles["trust"], STARTING_BALANCE, sender=issuer)
        stablecoin.approve(distributor, 2**256 - 1, sender=roles["trust"])
        _register_errors(chain, project, token, market, distributor)
        return Suite(
            token=token,
            market=market,
            distributor=distributor,
            stablecoin=stablecoin,
            chain_id=int(chain.chain_id),
            roles=dict(roles),
            wallets=dict(wallets),
            signers={},
            fast={
                "token": _web3_contract(chain, token),
                "market": _web3_contract(chain, market),
                "distributor": _web3_contract(chain, distributor),
                "stablecoin": _web3_contract(chain, stablecoin),
            },
        )

    return deploy


@pytest.fixture(scope="session")
def usdc(project: Any, owner: Any) -> Any:
    """The FiatToken-like MockUSDC (pause, blacklist, permit); ``owner`` is its issuer."""
    return project.MockUSDC.deploy(sender=owner)


@pytest.fixture(scope="session")
def suite(deploy_suite: Callable[[Any], Suite], usdc: Any) -> Suite:
    """The main suite, on MockUSDC."""
    return deploy_suite(usdc)


@ape.fixture(scope="session", chain_isolation=False)
def token(suite: Suite) -> Any:
    return suite.token


@ape.fixture(scope="session", chain_isolation=False)
def market(suite: Suite) -> Any:
    return suite.market


@ape.fixture(scope="session", chain_isolation=False)
def distributor(suite: Suite) -> Any:
    return suite.distributor


@pytest.fixture(scope="session", autouse=True)
def _session_deployments(suite: Suite) -> None:
    """The session's stateful fixtures (funded extra accounts, MockUSDC, the main suite) are set up before the
    first test, so Ape's session snapshot holds them. Every other session fixture here is declared stateless
    (``chain_isolation=False``): a test that names one for the first time does not make Ape rebase (and redeploy)."""
