"""Deploy the pyclaims contract suite and record it in ``deployments/<ecosystem>-<network>.json``.

Run through Ape, which hands the script the network::

    ape run deploy                                             # ethereum:local:foundry, MockUSDC as the stablecoin
    ape run deploy --network ethereum:sepolia:node --account deployer --stablecoin 0x...
    ape run deploy --role VERIFIER_ROLE=0xabc... --role PAUSER_ROLE=0xdef...
    ape run deploy --force                                     # deploy again even if the recorded suite is live

What it does, in order:

1. Checks the request before touching the network: a contract from ``contracts/mocks/`` (``--stablecoin mock``)
   is refused on any network but ``local``; a non-local network needs ``--stablecoin`` (or ``PYCLAIMS_STABLECOIN``)
   and an account from Ape's account store (``--account`` or ``PYCLAIMS_DEPLOYER``).
2. Connects (a clear error when the RPC is unreachable, unset, or serves another chain) and checks the deployer
   holds funds.
3. Deploys ``MockUSDC`` (local only) or checks the given stablecoin has code, then
   ``ClaimToken(stablecoin, admin=deployer)``, whose constructor creates ``ClaimMarket`` and ``ClaimDistributor``.
   When the registry already records a suite on this chain with the same bytecode and constructor arguments, and
   its code is still on chain, the suite is reused ("reused") and nothing is deployed. ``--force`` redeploys.
4. Grants each operational role (verifier, compliance, validator, recovery, pauser, distributor, resolver) to the
   configured addresses (default: the deployer), skipping grants already held.
5. Writes the registry atomically (temp file + rename): addresses, chain id, block, transaction hashes,
   constructor arguments, bytecode hashes, the roles, the compiler settings and the source commit.

The token's admin is the deployer (``DEFAULT_ADMIN_ROLE`` only). Hand it to a multisig afterwards with
``grantRole(DEFAULT_ADMIN_ROLE, safe)`` then ``renounceRole(DEFAULT_ADMIN_ROLE, deployer)``; re-runs that need to
grant roles must then be made by the new admin.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click
from ape.cli import network_option
from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address
from eth_utils.crypto import keccak

# The registry format (schema, roles, atomic writer, source commit) is the SDK's: one definition for the file
# this script writes and pyclaims.deployments reads.
from pyclaims.deployments import REGISTRY_SCHEMA, ROLE_NAMES, source_commit, write_registry_atomically

if TYPE_CHECKING:
    from ape.api import AccountAPI, NetworkAPI, ProviderAPI
    from ape.contracts import ContractContainer, ContractInstance

__all__ = [
    "MOCKS_SOURCE_PREFIX",
    "REGISTRY_SCHEMA",
    "ROLE_NAMES",
    "ConfigurationError",
    "DeployError",
    "MockOnLiveNetworkError",
    "NoFundsError",
    "RpcUnreachableError",
    "bytecode_hash",
    "cli",
    "ensure_deployable",
    "is_mock_source",
    "load_registry",
    "parse_address",
    "parse_role_assignments",
    "registry_path",
    "resolve_stablecoin_request",
    "source_commit",
    "write_registry_atomically",
]

MOCKS_SOURCE_PREFIX = "contracts/mocks/"
MOCK_STABLECOIN = "MockUSDC"
LOCAL_NETWORK = "local"
SUITE: tuple[str, ...] = ("ClaimToken", "ClaimMarket", "ClaimDistributor")
_UNSET_ENV = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


# --------------------------------------------------------------------------------------------------------------
# Errors: each is a click error, so `ape run deploy` prints "Error: <message>" and exits non-zero.


class DeployError(click.ClickException):
    """Root of the deploy script's errors."""


class ConfigurationError(DeployError):
    """A missing or malformed option, environment variable or registry file."""


class MockOnLiveNetworkError(DeployError):
    """A contract from ``contracts/mocks/`` was requested on a network that is not ``local``."""


class RpcUnreachableError(DeployError):
    """The network's RPC endpoint is unset, unreachable, or serves another chain."""


class NoFundsError(DeployError):
    """The deployer cannot pay for the deployment."""


# --------------------------------------------------------------------------------------------------------------
# Pure helpers (unit-tested without a node).


def is_mock_source(source_id: str | None) -> bool:
    """True when a contract's source file lives under ``contracts/mocks/``."""
    if not source_id:
        return False
    normalized = source_id.replace("\\", "/").lstrip("./")
    return normalized.startswith((MOCKS_SOURCE_PREFIX, "mocks/"))


def ensure_deployable(contract_name: str, source_id: str | None, *, network_choice: str, is_local: bool) -> None:
    """Refuse to deploy a mock anywhere but the ``local`` network.

    Raises:
        MockOnLiveNetworkError: ``source_id`` is under ``contracts/mocks/`` and the network is not local.
    """
    if is_mock_source(source_id) and not is_local:
        raise MockOnLiveNetworkError(
            f"refusing to deploy {contract_name} ({source_id}) on {network_choice}: contracts under "
            f"{MOCKS_SOURCE_PREFIX} are test doubles and deploy only to the local network. "
            "Pass --stablecoin <address> of the real stablecoin on this network."
        )


def parse_address(value: str, *, field: str) -> str:
    """Validate an address given by a person and return it checksummed.

    A mixed-case address must carry a valid EIP-55 checksum; the zero address is refused.
    """
    text = value.strip()
    if not is_hex_address(text):
        raise ConfigurationError(f"{field}: {value!r} is not a 20-byte hex address (0x followed by 40 hex digits)")
    if text != text.lower() and text[2:] != text[2:].upper() and not is_checksum_address(text):
        raise ConfigurationError(f"{field}: {value!r} has a wrong EIP-55 checksum (mistyped?)")
    if int(text, 16) == 0:
        raise ConfigurationError(f"{field}: the zero address is not allowed")
    return str(to_checksum_address(text))


def parse_role_assignments(values: Sequence[str]) -> dict[str, list[str]]:
    """Parse ``--role NAME=ADDRESS[,ADDRESS...]`` options into ``{ROLE_NAME: [addresses]}``.

    ``NAME`` is one of :data:`ROLE_NAMES`, case-insensitive, with or without the ``_ROLE`` suffix. A role named
    twice accumulates its addresses (each once, in the order given).
    """
    assigned: dict[str, list[str]] = {}
    for raw in values:
        name, sep, addresses = raw.partition("=")
        if not sep or not name.strip() or not addresses.strip():
            raise ConfigurationError(f"--role: {raw!r} is not NAME=ADDRESS (e.g. VERIFIER_ROLE=0x...)")
        role = name.strip().upper()
        if not role.endswith("_ROLE"):
            role += "_ROLE"
        if role not in ROLE_NAMES:
            raise ConfigurationError(f"--role: unknown role {name.strip()!r}; known roles: {', '.join(ROLE_NAMES)}")
        holders = assigned.setdefault(role, [])
        for part in addresses.split(","):
            address = parse_address(part, field=f"--role {role}")
            if address not in holders:
                holders.append(address)
    return assigned


def resolve_stablecoin_request(value: str | None, *, is_local: bool, network_choice: str) -> str | None:
    """Decide what the stablecoin is: ``None`` for "deploy MockUSDC", or a checksummed address.

    ``value`` is ``--stablecoin`` (or ``PYCLAIMS_STABLECOIN``): an address, ``"mock"``, or nothing. Nothing means
    the mock on the local network and is an error elsewhere.
    """
    if value is None or not value.strip():
        if is_local:
            return None
        raise ConfigurationError(
            f"--stablecoin: required on {network_choice}: give the address of the stablecoin (USDC) on this "
            "network with --stablecoin or PYCLAIMS_STABLECOIN"
        )
    if value.strip().lower() == "mock":
        return None
    return parse_address(value, field="--stablecoin")


def bytecode_hash(bytecode: str | bytes) -> str:
    """keccak256 of a bytecode given as hex text or bytes, as 0x-prefixed hex."""
    raw = bytes.fromhex(bytecode.removeprefix("0x")) if isinstance(bytecode, str) else bytes(bytecode)
    return "0x" + keccak(raw).hex()


def registry_path(project_root: Path, ecosystem: str, network: str) -> Path:
    """``<project>/deployments/<ecosystem>-<network>.json``."""
    return project_root / "deployments" / f"{ecosystem}-{network}.json"


def load_registry(path: Path) -> dict[str, Any] | None:
    """Read a registry file; ``None`` when there is none. A corrupt file is an error, never silently replaced."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigurationError(f"{path}: not valid JSON ({err}); fix or delete it, or redeploy with --force") from err
    if not isinstance(data, dict) or data.get("schema") != REGISTRY_SCHEMA:
        raise ConfigurationError(
            f"{path}: not a pyclaims registry of schema {REGISTRY_SCHEMA}; fix or delete it, or use --force"
        )
    return data


# --------------------------------------------------------------------------------------------------------------
# The Ape side.


class _Sent(NamedTuple):
    """A contract this run deployed, or found recorded and live.

    (A NamedTuple, not a dataclass: Ape runs scripts as modules absent from ``sys.modules``, which dataclasses
    with postponed annotations cannot resolve.)
    """

    name: str
    address: str
    reused: bool


def _choice(network: NetworkAPI, provider: ProviderAPI) -> str:
    return f"{network.ecosystem.name}:{network.name}:{provider.name}"


def _connect(provider: ProviderAPI) -> Any:
    """Enter the provider's context with the RPC problems turned into :class:`RpcUnreachableError`."""
    from ape.exceptions import ApeException

    network = provider.network
    choice = _choice(network, provider)
    try:
        context = network.use_provider(provider)
        context.__enter__()
    except ApeException as err:
        message = str(err)
        unset = sorted(name for name in _UNSET_ENV.findall(message) if not os.environ.get(name))
        if unset:
            raise RpcUnreachableError(
                f"{choice}: the RPC URL comes from the environment variable {', '.join(unset)}, which is not set "
                f"(see ape-config.yaml)"
            ) from err
        raise RpcUnreachableError(f"{choice}: cannot reach the RPC endpoint: {message}") from err
    return context


def _check_chain(network: NetworkAPI, provider: ProviderAPI) -> int:
    chain_id = int(provider.chain_id)
    if not network.is_local:
        expected = network.chain_id
        if expected and int(expected) != chain_id:
            raise RpcUnreachableError(
                f"{_choice(network, provider)}: the RPC serves chain id {chain_id}, but {network.name} is chain "
                f"id {expected}: wrong URL?"
            )
    return chain_id


def _load_deployer(alias: str | None, network: NetworkAPI, autosign: bool) -> AccountAPI:
    from ape import accounts
    from ape.exceptions import AccountsError

    if alias is None:
        if network.is_local:
            return accounts.test_accounts[0]
        raise ConfigurationError(
            f"--account: required on {network.ecosystem.name}:{network.name}: the alias of the deployer in Ape's "
            "account store (`ape accounts import <alias>`), or set PYCLAIMS_DEPLOYER"
        )
    try:
        account = accounts.load(alias)
    except (AccountsError, IndexError, KeyError) as err:
        known = ", ".join(sorted(accounts.aliases)) or "none"
        raise ConfigurationError(f"--account: no account {alias!r} in Ape's account store (known: {known})") from err
    if autosign and hasattr(account, "set_autosign"):
        # Unlocks with APE_ACCOUNTS_<alias>_PASSPHRASE when set, else asks once for the passphrase.
        account.set_autosign(True)
    return account


def _check_funds(account: AccountAPI, network_choice: str) -> None:
    balance = int(account.balance)
    if balance == 0:
        raise NoFundsError(
            f"deployer {account.address} has no funds on {network_choice} (balance 0 wei): fund it with the "
            "network's native token (a faucet for testnets) and run again"
        )


def _transact(what: str, network_choice: str, account: AccountAPI, send: Callable[[], Any]) -> Any:
    """Send a transaction, turning "insufficient funds" into :class:`NoFundsError`."""
    from ape.exceptions import ApeException

    try:
        return send()
    except ApeException as err:
        text = str(err)
        if "insufficient funds" in text.lower() or "insufficient balance" in text.lower():
            raise NoFundsError(
                f"{what} on {network_choice}: deployer {account.address} cannot pay for it "
                f"(balance {int(account.balance)} wei): {text}"
            ) from err
        raise


def _code_hash(provider: ProviderAPI, address: str) -> str | None:
    code = provider.get_code(address)
    raw = bytes(code) if not isinstance(code, str) else bytes.fromhex(code.removeprefix("0x"))
    return None if not raw else "0x" + keccak(raw).hex()


def _recorded_live(entry: Mapping[str, Any] | None, provider: ProviderAPI) -> bool:
    """The recorded contract still has the code it had when recorded."""
    if not entry or not entry.get("address") or not entry.get("runtime_code_hash"):
        return False
    return bool(_code_hash(provider, str(entry["address"])) == entry["runtime_code_hash"])


def _deployment_entry(
    provider: ProviderAPI,
    container: ContractContainer | None,
    address: str,
    txn_hash: str,
    *,
    block: int,
    constructor_args: Mapping[str, Any] | None,
    created_by: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"address": address, "tx_hash": txn_hash, "block": block}
    if created_by:
        entry["created_by"] = created_by
    if constructor_args is not None:
        entry["constructor_args"] = dict(constructor_args)
    if container is not None:
        contract_type = container.contract_type
        entry["source"] = contract_type.source_id
        deployment = contract_type.deployment_bytecode
        if deployment is not None and deployment.bytecode:
            entry["bytecode_hash"] = bytecode_hash(deployment.bytecode)
    entry["runtime_code_hash"] = _code_hash(provider, address)
    return entry


def _deploy(
    container: ContractContainer, name: str, account: AccountAPI, network_choice: str, *args: Any
) -> tuple[ContractInstance, str, int]:
    from ape import chain

    instance = _transact(f"deploying {name}", network_choice, account, lambda: account.deploy(container, *args))
    txn_hash = str(instance.txn_hash)
    receipt = chain.provider.get_receipt(txn_hash)
    return instance, txn_hash, int(receipt.block_number)


def _compiler_settings() -> dict[str, Any]:
    from ape import config

    solidity = config.get_config("solidity")
    return {
        "solc": str(getattr(solidity, "version", None)),
        "optimizer": bool(getattr(solidity, "optimize", True)),
        "optimizer_runs": int(getattr(solidity, "optimization_runs", 0)),
        "evm_version": str(getattr(solidity, "evm_version", None)),
    }


@click.command(short_help="Deploy the pyclaims contracts and record them in deployments/")
@network_option()
@click.option(
    "--account",
    "account_alias",
    envvar="PYCLAIMS_DEPLOYER",
    default=None,
    help="Deployer alias in Ape's account store [env PYCLAIMS_DEPLOYER]; local default: the first test account.",
)
@click.option(
    "--stablecoin",
    envvar="PYCLAIMS_STABLECOIN",
    default=None,
    help="Stablecoin address [env PYCLAIMS_STABLECOIN]; 'mock' (local default) deploys contracts/mocks/MockUSDC.",
)
@click.option(
    "--role",
    "roles",
    multiple=True,
    metavar="NAME=ADDRESS[,ADDRESS]",
    help="Grant a role to an address (repeatable); every role not named goes to the deployer.",
)
@click.option("--force", is_flag=True, help="Deploy again even when the recorded deployment is live.")
@click.option(
    "--yes",
    "autosign",
    is_flag=True,
    help="Sign without a per-transaction prompt (passphrase from APE_ACCOUNTS_<alias>_PASSPHRASE or asked once).",
)
def cli(
    provider: ProviderAPI,
    account_alias: str | None,
    stablecoin: str | None,
    roles: tuple[str, ...],
    force: bool,
    autosign: bool,
) -> None:
    """Deploy (or reuse) MockUSDC/ClaimToken/ClaimMarket/ClaimDistributor, wire roles, write the registry."""
    from ape import project

    network = provider.network
    choice = _choice(network, provider)
    is_local = network.name == LOCAL_NETWORK

    # 1. Everything that can be checked before any network traffic.
    stablecoin_address = resolve_stablecoin_request(stablecoin, is_local=is_local, network_choice=choice)
    role_assignments = parse_role_assignments(roles)
    mock_container: ContractContainer | None = None
    if stablecoin_address is None:
        mock_container = project.get_contract(MOCK_STABLECOIN)
        ensure_deployable(
            MOCK_STABLECOIN, mock_container.contract_type.source_id, network_choice=choice, is_local=is_local
        )
    token_container = project.get_contract("ClaimToken")
    ensure_deployable("ClaimToken", token_container.contract_type.source_id, network_choice=choice, is_local=is_local)
    path = registry_path(Path(project.path), network.ecosystem.name, network.name)
    previous = None if force else load_registry(path)

    # 2. Connect, check the chain and the deployer.
    context = _connect(provider)
    try:
        _run(
            provider=provider,
            network=network,
            choice=choice,
            path=path,
            previous=previous,
            account_alias=account_alias,
            autosign=autosign,
            stablecoin_address=stablecoin_address,
            mock_container=mock_container,
            token_container=token_container,
            role_assignments=role_assignments,
        )
    finally:
        context.__exit__(None, None, None)


def _run(
    *,
    provider: ProviderAPI,
    network: NetworkAPI,
    choice: str,
    path: Path,
    previous: dict[str, Any] | None,
    account_alias: str | None,
    autosign: bool,
    stablecoin_address: str | None,
    mock_container: ContractContainer | None,
    token_container: ContractContainer,
    role_assignments: Mapping[str, list[str]],
) -> None:
    from ape import project

    chain_id = _check_chain(network, provider)
    account = _load_deployer(account_alias, network, autosign)
    deployer = str(account.address)
    click.echo(f"pyclaims deploy: {choice} (chain id {chain_id}), deployer {deployer}")

    if previous is not None and previous.get("chain_id") != chain_id:
        click.echo(f"  registry {path.name} records chain id {previous.get('chain_id')}: deploying anew")
        previous = None
    recorded: dict[str, Any] = dict(previous.get("contracts", {})) if previous else {}
    contracts: dict[str, Any] = {}
    results: list[_Sent] = []
    funds_checked = False

    def need_funds() -> None:
        nonlocal funds_checked
        if not funds_checked:
            _check_funds(account, choice)
            funds_checked = True

    # 3a. The stablecoin.
    if mock_container is not None:
        mock_hash = bytecode_hash(mock_container.contract_type.deployment_bytecode.bytecode or "0x")
        old = recorded.get(MOCK_STABLECOIN)
        if old and old.get("bytecode_hash") == mock_hash and _recorded_live(old, provider):
            contracts[MOCK_STABLECOIN] = old
            results.append(_Sent(MOCK_STABLECOIN, str(old["address"]), reused=True))
        else:
            need_funds()
            mock, txn_hash, block = _deploy(mock_container, MOCK_STABLECOIN, account, choice)
            contracts[MOCK_STABLECOIN] = _deployment_entry(
                provider, mock_container, str(mock.address), txn_hash, block=block, constructor_args={}
            )
            contracts[MOCK_STABLECOIN]["mock"] = True
            results.append(_Sent(MOCK_STABLECOIN, str(mock.address), reused=False))
        stablecoin = str(contracts[MOCK_STABLECOIN]["address"])
    else:
        assert stablecoin_address is not None
        if _code_hash(provider, stablecoin_address) is None:
            raise ConfigurationError(f"--stablecoin: {stablecoin_address} has no contract code on {choice}")
        stablecoin = stablecoin_address

    # 3b. The token, which creates the market and the distributor.
    token_args = {"stablecoin": stablecoin, "admin": deployer}
    token_hash = bytecode_hash(token_container.contract_type.deployment_bytecode.bytecode or "0x")
    old_token = recorded.get("ClaimToken")
    reuse = (
        old_token is not None
        and old_token.get("bytecode_hash") == token_hash
        and old_token.get("constructor_args") == token_args
        and all(_recorded_live(recorded.get(name), provider) for name in SUITE)
    )
    if reuse:
        for name in SUITE:
            contracts[name] = recorded[name]
            results.append(_Sent(name, recorded[name]["address"], reused=True))
        token = project.ClaimToken.at(recorded["ClaimToken"]["address"])
    else:
        need_funds()
        token, txn_hash, block = _deploy(token_container, "ClaimToken", account, choice, stablecoin, deployer)
        contracts["ClaimToken"] = _deployment_entry(
            provider, token_container, str(token.address), txn_hash, block=block, constructor_args=token_args
        )
        results.append(_Sent("ClaimToken", str(token.address), reused=False))
        for name, getter in (("ClaimMarket", "market"), ("ClaimDistributor", "distributor")):
            address = str(to_checksum_address(str(getattr(token, getter)())))
            contracts[name] = _deployment_entry(
                provider,
                project.get_contract(name),
                address,
                txn_hash,
                block=block,
                constructor_args=None,
                created_by="ClaimToken",
            )
            results.append(_Sent(name, address, reused=False))

    registry: dict[str, Any] = {
        "schema": REGISTRY_SCHEMA,
        "ecosystem": network.ecosystem.name,
        "network": network.name,
        "chain_id": chain_id,
        "deployer": deployer,
        "addresses": {
            "token": contracts["ClaimToken"]["address"],
            "market": contracts["ClaimMarket"]["address"],
            "distributor": contracts["ClaimDistributor"]["address"],
            "stablecoin": stablecoin,
        },
        "block": contracts["ClaimToken"]["block"],
        "contracts": contracts,
        "stablecoin": {"address": stablecoin, "mock": mock_container is not None},
        "roles": dict(previous.get("roles", {})) if previous and reuse else {},
        "compiler": _compiler_settings(),
        "source": source_commit(Path(project.path)),
        "updated_at": int(time.time()),
    }
    # Record the contracts before the role grants: if a grant fails, a re-run reuses this suite.
    write_registry_atomically(path, registry)

    # 4. Roles.
    role_lines: list[str] = []
    roles_record: dict[str, Any] = registry["roles"]
    for role_name in ROLE_NAMES:
        role_id = getattr(token, role_name)()
        role_hex = "0x" + bytes(role_id).hex() if not isinstance(role_id, str) else role_id
        holders = role_assignments.get(role_name, [deployer])
        record = roles_record.setdefault(role_name, {"id": role_hex, "holders": [], "grants": []})
        record["id"] = role_hex
        for holder in holders:
            if token.hasRole(role_id, holder):
                role_lines.append(f"  {role_name:<17} {holder} already held")
            else:
                need_funds()
                receipt = _transact(
                    f"granting {role_name}",
                    choice,
                    account,
                    lambda role_id=role_id, holder=holder: token.grantRole(role_id, holder, sender=account),
                )
                record["grants"].append({"account": holder, "tx_hash": str(receipt.txn_hash)})
                role_lines.append(f"  {role_name:<17} {holder} granted (tx {receipt.txn_hash})")
        current = [h for h in dict.fromkeys([*record["holders"], *holders]) if token.hasRole(role_id, h)]
        record["holders"] = current
    registry["updated_at"] = int(time.time())
    write_registry_atomically(path, registry)

    # 5. Report.
    for sent in results:
        what = "reused" if sent.reused else f"deployed (tx {contracts[sent.name]['tx_hash']})"
        click.echo(f"  {sent.name:<17} {sent.address} {what}")
    if mock_container is None:
        click.echo(f"  {'stablecoin':<17} {stablecoin} (given)")
    for line in role_lines:
        click.echo(line)
    summary = "reused" if all(s.reused for s in results) else "deployed"
    click.echo(f"pyclaims deploy: {summary}; registry {path}")
