"""Deployment records: where a pyclaims suite lives on a chain, and deploying one without Ape.

A deployment is recorded in ``deployments/<ecosystem>-<network>.json``, in the format ``scripts/deploy.py``
(the Ape script, the developer's tool) writes and :func:`deploy_suite` (the SDK's, used by ``pyclaims deploy``
and the demo) writes too: schema 1, ``chain_id``, ``addresses`` (token, market, distributor, stablecoin),
``block``, and per contract its ``tx_hash`` and ``runtime_code_hash`` (keccak256 of the code on chain when
recorded). See ``deployments/README.md``.

The recorded runtime code hashes are what :meth:`pyclaims.client.Client.connect` checks before anything is
signed: the token's runtime code embeds its market, distributor and stablecoin addresses (immutables), so a
hash computed from the shipped bytecode alone could not match; the hash recorded at deployment can.

:class:`Deployment` is the parsed, checked, immutable record; :meth:`Deployment.load` reads one (a path, or a
network name resolved under ``deployments/``), :meth:`Deployment.save` writes one atomically.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from eth_abi.abi import encode as abi_encode
from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxReceipt

from pyclaims import _abi
from pyclaims._rpc import call
from pyclaims.errors import DeploymentError
from pyclaims.tx import TxSender, code_hash

__all__ = [
    "DEFAULT_ADMIN_ROLE",
    "REGISTRY_SCHEMA",
    "ROLE_NAMES",
    "Deployment",
    "deploy_suite",
    "deployment_path",
    "role_id",
    "source_commit",
    "write_registry_atomically",
]

REGISTRY_SCHEMA: Final = 1
"""The deployment file schema this SDK reads and writes (``scripts/deploy.py``'s)."""

ROLE_NAMES: Final = (
    "VERIFIER_ROLE",
    "COMPLIANCE_ROLE",
    "VALIDATOR_ROLE",
    "RECOVERY_ROLE",
    "PAUSER_ROLE",
    "DISTRIBUTOR_ROLE",
    "RESOLVER_ROLE",
)
"""The operational roles of ``ClaimToken`` (the deploy grants each; default holder: the deployer)."""

DEFAULT_ADMIN_ROLE: Final = bytes(32)
"""OpenZeppelin's ``DEFAULT_ADMIN_ROLE`` (grants and revokes the others)."""

_SUITE: Final = ("ClaimToken", "ClaimMarket", "ClaimDistributor")
_ADDRESS_KEYS: Final = ("token", "market", "distributor", "stablecoin")
_LOCAL_NETWORKS: Final = frozenset({"local"})


def role_id(name: str) -> bytes:
    """The bytes32 id of a role: ``keccak256(name)`` (``DEFAULT_ADMIN_ROLE`` is zero)."""
    upper = name.strip().upper()
    if upper in ("DEFAULT_ADMIN_ROLE", "DEFAULT_ADMIN"):
        return DEFAULT_ADMIN_ROLE
    if not upper.endswith("_ROLE"):
        upper += "_ROLE"
    if upper not in ROLE_NAMES:
        raise ValueError(f"role: unknown role {name!r} (known: DEFAULT_ADMIN_ROLE, {', '.join(ROLE_NAMES)})")
    return bytes(keccak(text=upper))


def deployment_path(network: str, *, root: str | os.PathLike[str] | None = None, ecosystem: str = "ethereum") -> Path:
    """``<root>/deployments/<ecosystem>-<network>.json``; ``network`` may be ``"<ecosystem>:<network>"``."""
    if ":" in network:
        ecosystem, _, network = network.partition(":")
        network = network.split(":", 1)[0]
    if not network or not ecosystem or any(c in network + ecosystem for c in "/\\") or ".." in network:
        raise DeploymentError("network", f"not a network name: {network!r}")
    return Path(root if root is not None else Path.cwd()) / "deployments" / f"{ecosystem}-{network}.json"


def _address(value: object, key: str, path: str | None) -> str:
    if not isinstance(value, str) or not is_hex_address(value):
        raise DeploymentError(key, f"not a 20-byte hex address: {value!r}", path=path)
    body = value[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(value):
        raise DeploymentError(key, f"bad EIP-55 checksum: {value}", path=path)
    if int(value, 16) == 0:
        raise DeploymentError(key, "the zero address", path=path)
    return str(to_checksum_address(value))


def _hash32(value: object, key: str, path: str | None) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66:
        raise DeploymentError(key, f"expected a 0x-prefixed 32-byte hex hash, got {value!r}", path=path)
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise DeploymentError(key, f"not hex: {value!r}", path=path) from None


def _int(value: object, key: str, path: str | None, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (1 if positive else 0):
        raise DeploymentError(
            key, f"expected a {'positive' if positive else 'non-negative'} integer, got {value!r}", path=path
        )
    return value


@dataclass(frozen=True)
class Deployment:
    """A recorded pyclaims deployment on one chain.

    Attributes:
        ecosystem: ``"ethereum"``, ``"base"``, ...
        network: ``"local"``, ``"sepolia"``, ...
        chain_id: the chain id it was deployed on.
        token, market, distributor, stablecoin: the four addresses (EIP-55).
        block: the block of the token's deployment (where event scans start).
        deployer: the deploying account, when recorded.
        tx_hashes: contract name -> the transaction that created it (market and distributor: the token's).
        code_hashes: contract name -> keccak256 of its runtime code when recorded (``ClaimToken``,
            ``ClaimMarket``, ``ClaimDistributor``, and ``MockUSDC`` on local networks).
        stablecoin_mock: the stablecoin is the local ``MockUSDC``.
        document: the whole JSON document (roles, compiler, source... kept for :meth:`save`).
        path: the file it was loaded from or saved to, if any.
    """

    ecosystem: str
    network: str
    chain_id: int
    token: str
    market: str
    distributor: str
    stablecoin: str
    block: int
    deployer: str | None = None
    tx_hashes: Mapping[str, str] = field(default_factory=dict, hash=False)
    code_hashes: Mapping[str, bytes] = field(default_factory=dict, hash=False)
    stablecoin_mock: bool = False
    document: Mapping[str, Any] = field(default_factory=dict, hash=False, repr=False, compare=False)
    path: Path | None = field(default=None, compare=False)

    # ---------------------------------------------------------------- reading

    @classmethod
    def load(
        cls, source: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None, ecosystem: str = "ethereum"
    ) -> Deployment:
        """Read a deployment file: a path (anything ending in ``.json`` or naming an existing file), or a network
        name resolved to ``<root>/deployments/<ecosystem>-<network>.json`` (``"local"``, ``"base:sepolia"``).

        Raises:
            DeploymentError: the file is missing, not JSON, not schema 1, or a field is malformed (named).
        """
        text = os.fspath(source)
        path = Path(text)
        if not (text.endswith(".json") or path.is_file()):
            path = deployment_path(text, root=root, ecosystem=ecosystem)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DeploymentError(
                "(file)", "no such deployment file (deploy first: pyclaims deploy)", path=str(path)
            ) from None
        except OSError as exc:
            raise DeploymentError("(file)", f"cannot read: {exc}", path=str(path)) from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DeploymentError(
                "(file)", f"not valid JSON ({exc.msg} at line {exc.lineno})", path=str(path)
            ) from None
        return cls.from_dict(data, path=path)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: Path | None = None) -> Deployment:
        """Check and parse a deployment document (see the module docstring)."""
        where = str(path) if path is not None else None
        if not isinstance(data, Mapping):
            raise DeploymentError("(file)", "expected a JSON object", path=where)
        if data.get("schema") != REGISTRY_SCHEMA:
            raise DeploymentError("schema", f"expected {REGISTRY_SCHEMA}, got {data.get('schema')!r}", path=where)
        for key in ("ecosystem", "network"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise DeploymentError(key, f"expected a non-empty string, got {data.get(key)!r}", path=where)
        chain_id = _int(data.get("chain_id"), "chain_id", where, positive=True)
        addresses = data.get("addresses")
        if not isinstance(addresses, Mapping):
            raise DeploymentError(
                "addresses", "missing (expected an object with token, market, distributor, stablecoin)", path=where
            )
        parsed = {k: _address(addresses.get(k), f"addresses.{k}", where) for k in _ADDRESS_KEYS}
        block = _int(data.get("block"), "block", where)
        deployer = data.get("deployer")
        contracts = data.get("contracts", {})
        if not isinstance(contracts, Mapping):
            raise DeploymentError("contracts", "expected an object", path=where)
        tx_hashes: dict[str, str] = {}
        code_hashes: dict[str, bytes] = {}
        expected = {
            "ClaimToken": parsed["token"],
            "ClaimMarket": parsed["market"],
            "ClaimDistributor": parsed["distributor"],
        }
        for name, entry in contracts.items():
            if not isinstance(entry, Mapping):
                raise DeploymentError(f"contracts.{name}", "expected an object", path=where)
            recorded = entry.get("address")
            if (
                name in expected
                and recorded is not None
                and _address(recorded, f"contracts.{name}.address", where) != expected[name]
            ):
                raise DeploymentError(f"contracts.{name}.address", "differs from addresses", path=where)
            if entry.get("tx_hash") is not None:
                _hash32(entry["tx_hash"], f"contracts.{name}.tx_hash", where)
                tx_hashes[str(name)] = str(entry["tx_hash"])
            if entry.get("runtime_code_hash") is not None:
                code_hashes[str(name)] = _hash32(
                    entry["runtime_code_hash"], f"contracts.{name}.runtime_code_hash", where
                )
        stablecoin_info = data.get("stablecoin", {})
        mock = bool(stablecoin_info.get("mock", False)) if isinstance(stablecoin_info, Mapping) else False
        return cls(
            ecosystem=str(data["ecosystem"]),
            network=str(data["network"]),
            chain_id=chain_id,
            token=parsed["token"],
            market=parsed["market"],
            distributor=parsed["distributor"],
            stablecoin=parsed["stablecoin"],
            block=block,
            deployer=_address(deployer, "deployer", where) if deployer is not None else None,
            tx_hashes=MappingProxyType(tx_hashes),
            code_hashes=MappingProxyType(code_hashes),
            stablecoin_mock=mock,
            document=MappingProxyType(json.loads(json.dumps(dict(data)))),
            path=path,
        )

    # ---------------------------------------------------------------- views

    @property
    def addresses(self) -> dict[str, str]:
        """``{"token", "market", "distributor", "stablecoin"}`` -> address."""
        return {
            "token": self.token,
            "market": self.market,
            "distributor": self.distributor,
            "stablecoin": self.stablecoin,
        }

    def address_of(self, contract: str) -> str:
        """The address of ``"ClaimToken"``, ``"ClaimMarket"``, ``"ClaimDistributor"`` or ``"MockUSDC"``."""
        table = {
            "ClaimToken": self.token,
            "ClaimMarket": self.market,
            "ClaimDistributor": self.distributor,
            "MockUSDC": self.stablecoin,
            "Stablecoin": self.stablecoin,
        }
        try:
            return table[contract]
        except KeyError:
            raise ValueError(f"contract: unknown {contract!r}") from None

    def expected_code_hashes(self) -> dict[str, bytes]:
        """address -> recorded runtime code hash, for :func:`pyclaims.tx.check_chain`."""
        return {self.address_of(name): digest for name, digest in self.code_hashes.items()}

    @property
    def is_local(self) -> bool:
        """The ``local`` network (a development node)."""
        return self.network in _LOCAL_NETWORKS

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (the loaded one, with this record's fields written over it)."""
        doc: dict[str, Any] = json.loads(json.dumps(dict(self.document))) if self.document else {}
        doc["schema"] = REGISTRY_SCHEMA
        doc["ecosystem"] = self.ecosystem
        doc["network"] = self.network
        doc["chain_id"] = self.chain_id
        if self.deployer is not None:
            doc["deployer"] = self.deployer
        doc["addresses"] = self.addresses
        doc["block"] = self.block
        contracts: dict[str, Any] = doc.setdefault("contracts", {})
        for name in (*_SUITE, "MockUSDC"):
            entry = contracts.get(name)
            if entry is None and name not in self.code_hashes and name not in self.tx_hashes:
                continue
            entry = contracts.setdefault(name, {})
            entry["address"] = self.address_of(name)
            if name in self.tx_hashes:
                entry["tx_hash"] = self.tx_hashes[name]
            if name in self.code_hashes:
                entry["runtime_code_hash"] = "0x" + self.code_hashes[name].hex()
        stable = doc.setdefault("stablecoin", {})
        stable["address"] = self.stablecoin
        stable["mock"] = self.stablecoin_mock
        return doc

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the document atomically (temp file in the same folder + rename); returns the path.

        Default path: where it was loaded from, else ``deployments/<ecosystem>-<network>.json`` under the
        current directory.
        """
        target = Path(path) if path is not None else (self.path or deployment_path(f"{self.ecosystem}:{self.network}"))
        write_registry_atomically(target, self.to_dict())
        return target


# ------------------------------------------------------------------------------------------------ deploying


def _eth_call(w3: Web3, to: str, data: bytes) -> bytes:
    return bytes(HexBytes(call(w3, "eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])))


def _view(w3: Web3, contract: str, to: str, fn: str, *args: Any) -> Any:
    function = _abi.contract_abi(contract).function(fn)
    (value,) = function.decode(_eth_call(w3, to, function.encode(*args)))
    return value


def write_registry_atomically(path: Path, data: Mapping[str, Any]) -> None:
    """Write a registry's JSON to ``path`` through a temp file in the same folder and an atomic rename.

    A reader sees the old file or the new one, never a half-written one, even if the process dies mid-write.
    (``scripts/deploy.py`` writes through this too: one writer for the one format.)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def source_commit(project_root: Path) -> dict[str, Any]:
    """The git commit of the checkout at ``project_root`` and whether ``contracts/`` had uncommitted changes;
    both ``None`` outside a checkout (a ``project_root`` with no ``.git`` of its own is not asked: an installed
    package inside someone else's repository must not report that repository's commit)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(project_root), *args], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD") if (project_root / ".git").exists() else None
    status = git("status", "--porcelain", "--", "contracts") if commit else None
    return {"commit": commit, "contracts_dirty": bool(status) if status is not None else None}


def _entry(w3: Web3, name: str, address: str, tx_hash: str, block: int, **extra: Any) -> dict[str, Any]:
    art = _abi.artifact(name)
    entry: dict[str, Any] = {"address": address, "tx_hash": tx_hash, "block": block, **extra, "source": art.source}
    if art.bytecode is not None:
        entry["bytecode_hash"] = "0x" + keccak(art.bytecode).hex()
    entry["runtime_code_hash"] = "0x" + code_hash(w3, address).hex()
    return entry


def _created(receipt: TxReceipt) -> str:
    created = receipt["contractAddress"]
    if created is None:
        raise DeploymentError("(deploy)", f"transaction {receipt['transactionHash'].to_0x_hex()} created no contract")
    return str(to_checksum_address(created))


def _live(w3: Web3, previous: Deployment) -> bool:
    if not previous.code_hashes:
        return False
    return all(code_hash(w3, previous.address_of(name)) == digest for name, digest in previous.code_hashes.items())


def deploy_suite(
    w3: Web3,
    sender: TxSender,
    *,
    stablecoin: str | None = None,
    local: bool = True,
    roles: Mapping[str, Sequence[str]] | None = None,
    ecosystem: str = "ethereum",
    network: str = "local",
    previous: Deployment | None = None,
    save_to: str | os.PathLike[str] | None = None,
) -> Deployment:
    """Deploy ``MockUSDC`` (local only, when no ``stablecoin`` is given) and ``ClaimToken`` (which creates the
    market and the distributor) from the shipped bytecode, grant the operational roles, and record it all.

    Args:
        w3: the connection.
        sender: signs and sends; its account becomes the token's admin (``DEFAULT_ADMIN_ROLE``) and the
            MockUSDC owner. Its chain checks run before the first signature.
        stablecoin: the stablecoin's address; ``None`` deploys ``MockUSDC``, which only ``local`` allows.
        local: whether this is a development network (mocks allowed).
        roles: role name -> holders; every operational role not named goes to the deployer.
        ecosystem, network: recorded in the document (and its default file name).
        previous: a recorded deployment to reuse when it is on this chain, its code is still there and the
            stablecoin matches (only missing role grants are then sent), like ``scripts/deploy.py``.
        save_to: write the document there (atomically) when given.

    Returns:
        the deployment (same JSON format as ``scripts/deploy.py``).

    Raises:
        DeploymentError: a mock requested on a non-local network, a stablecoin without code, a bad role name.
        ContractError / TxError: a transaction failed.
    """
    if stablecoin is None and not local:
        raise DeploymentError(
            "stablecoin", f"required on {ecosystem}:{network}: MockUSDC deploys only to local networks"
        )
    assignments: dict[str, list[str]] = {}
    for name, holders in (roles or {}).items():
        role_id(name)  # validates the name
        key = name.strip().upper() if name.strip().upper().endswith("_ROLE") else name.strip().upper() + "_ROLE"
        assignments[key] = [str(to_checksum_address(h)) for h in holders]
    chain_id = sender.chain_id
    deployer = sender.address
    stable_address = None if stablecoin is None else _address(stablecoin, "stablecoin", None)
    if stable_address is not None and code_hash(w3, stable_address) == keccak(b""):
        raise DeploymentError("stablecoin", f"{stable_address} has no contract code on chain {chain_id}")

    reuse = (
        previous is not None
        and previous.chain_id == chain_id
        and ((stable_address is None and previous.stablecoin_mock) or previous.stablecoin == stable_address)
        and _live(w3, previous)
    )
    if reuse:
        assert previous is not None
        document = previous.to_dict()
    else:
        contracts: dict[str, Any] = {}
        if stable_address is None:
            mock_code = _abi.artifact("MockUSDC").bytecode
            assert mock_code is not None
            receipt = sender.transact({"to": None, "data": mock_code})
            address = _created(receipt)
            contracts["MockUSDC"] = _entry(
                w3,
                "MockUSDC",
                address,
                receipt["transactionHash"].to_0x_hex(),
                int(receipt["blockNumber"]),
                constructor_args={},
            )
            contracts["MockUSDC"]["mock"] = True
            stable_address = address
        token_code = _abi.artifact("ClaimToken").bytecode
        assert token_code is not None
        args = abi_encode(["address", "address"], [stable_address, deployer])
        receipt = sender.transact({"to": None, "data": token_code + args})
        token = _created(receipt)
        tx_hash = receipt["transactionHash"].to_0x_hex()
        block = int(receipt["blockNumber"])
        contracts["ClaimToken"] = _entry(
            w3, "ClaimToken", token, tx_hash, block, constructor_args={"stablecoin": stable_address, "admin": deployer}
        )
        market = str(to_checksum_address(_view(w3, "ClaimToken", token, "market")))
        distributor = str(to_checksum_address(_view(w3, "ClaimToken", token, "distributor")))
        contracts["ClaimMarket"] = _entry(w3, "ClaimMarket", market, tx_hash, block, created_by="ClaimToken")
        contracts["ClaimDistributor"] = _entry(
            w3, "ClaimDistributor", distributor, tx_hash, block, created_by="ClaimToken"
        )
        compiler = _abi.artifact("ClaimToken").compiler
        document = {
            "schema": REGISTRY_SCHEMA,
            "ecosystem": ecosystem,
            "network": network,
            "chain_id": chain_id,
            "deployer": deployer,
            "addresses": {"token": token, "market": market, "distributor": distributor, "stablecoin": stable_address},
            "block": block,
            "contracts": contracts,
            "stablecoin": {"address": stable_address, "mock": stablecoin is None},
            "roles": {},
            "compiler": {k: compiler[k] for k in ("solc", "optimizer", "optimizer_runs", "evm_version")},
            "source": source_commit(Path(__file__).resolve().parent.parent),
            "updated_at": int(time.time()),
        }

    # Roles: grant what is missing, pipelined, then record the holders that hold them.
    token = document["addresses"]["token"]
    token_abi = _abi.contract_abi("ClaimToken")
    roles_record: dict[str, Any] = document.setdefault("roles", {})
    wanted: list[tuple[str, bytes, str]] = []
    for name in ROLE_NAMES:
        rid = role_id(name)
        for holder in assignments.get(name, [deployer]):
            wanted.append((name, rid, holder))
    held = [bool(_view(w3, "ClaimToken", token, "hasRole", rid, holder)) for _, rid, holder in wanted]
    missing = [w for w, h in zip(wanted, held, strict=True) if not h]
    if missing:
        sent = sender.send_many(
            [{"to": token, "data": token_abi.encode("grantRole", rid, holder)} for _, rid, holder in missing]
        )
        receipts = sender.wait(sent)
        for (name, _, holder), receipt in zip(missing, receipts, strict=True):
            record = roles_record.setdefault(name, {"id": "0x" + role_id(name).hex(), "holders": [], "grants": []})
            record["grants"].append({"account": holder, "tx_hash": receipt["transactionHash"].to_0x_hex()})
    for name, rid, holder in wanted:
        record = roles_record.setdefault(name, {"id": "0x" + rid.hex(), "holders": [], "grants": []})
        if holder not in record["holders"]:
            record["holders"].append(holder)
    document["updated_at"] = int(time.time())
    deployment = Deployment.from_dict(document)
    if save_to is not None:
        target = deployment.save(save_to)
        deployment = Deployment.from_dict(document, path=target)
    return deployment
