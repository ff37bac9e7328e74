"""Deployment records: the scripts/deploy.py JSON format, loading (path or network name), atomic saving, and
deploying a suite with the SDK alone (MockUSDC local only, roles, reuse of a live recorded suite)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from anvil import Anvil, dev_account
from eth_utils.crypto import keccak
from sdk_suite import deploy

from pyclaims import _abi
from pyclaims.deployments import (
    DEFAULT_ADMIN_ROLE,
    REGISTRY_SCHEMA,
    ROLE_NAMES,
    Deployment,
    deploy_suite,
    deployment_path,
    role_id,
)
from pyclaims.errors import DeploymentError
from pyclaims.tx import TxSender, code_hash

pytestmark = pytest.mark.slow

# The keys scripts/deploy.py writes (deployments/README.md).
TOP_KEYS = {
    "schema",
    "ecosystem",
    "network",
    "chain_id",
    "deployer",
    "addresses",
    "block",
    "contracts",
    "stablecoin",
    "roles",
    "compiler",
    "source",
    "updated_at",
}


@pytest.fixture
def node() -> Any:
    with Anvil() as n:
        yield n


def test_deploy_suite_writes_the_deploy_script_format(node: Anvil, tmp_path: Path) -> None:
    target = tmp_path / "deployments" / "ethereum-local.json"
    suite = deploy(node, save_to=target)
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert set(doc) == TOP_KEYS
    assert doc["schema"] == REGISTRY_SCHEMA and doc["chain_id"] == 31337
    assert doc["ecosystem"] == "ethereum" and doc["network"] == "local"
    assert set(doc["addresses"]) == {"token", "market", "distributor", "stablecoin"}
    assert set(doc["contracts"]) == {"MockUSDC", "ClaimToken", "ClaimMarket", "ClaimDistributor"}
    assert doc["contracts"]["ClaimToken"]["constructor_args"] == {
        "stablecoin": doc["addresses"]["stablecoin"],
        "admin": dev_account(0).address,
    }
    for name in ("ClaimMarket", "ClaimDistributor"):
        assert doc["contracts"][name]["created_by"] == "ClaimToken"
        assert doc["contracts"][name]["tx_hash"] == doc["contracts"]["ClaimToken"]["tx_hash"]
    for name, entry in doc["contracts"].items():
        assert entry["runtime_code_hash"] == "0x" + code_hash(suite.w3, entry["address"]).hex(), name
        assert {"address", "tx_hash", "block", "source", "runtime_code_hash"} <= set(entry)
    assert (
        doc["contracts"]["ClaimToken"]["bytecode_hash"]
        == "0x" + keccak(_abi.artifact("ClaimToken").bytecode or b"").hex()
    )
    assert doc["stablecoin"] == {"address": doc["addresses"]["stablecoin"], "mock": True}
    assert doc["compiler"] == {"solc": "0.8.28", "optimizer": True, "optimizer_runs": 10000, "evm_version": "cancun"}
    assert set(doc["roles"]) == set(ROLE_NAMES)
    for name, record in doc["roles"].items():
        assert record["id"] == "0x" + role_id(name).hex()
        assert record["holders"] == [dev_account(0).address]
        assert len(record["grants"]) == 1
        assert suite.admin.has_role(name, dev_account(0).address)
    assert suite.admin.has_role(DEFAULT_ADMIN_ROLE, dev_account(0).address)
    # Loaded back (by path and by network name), it is the same deployment.
    loaded = Deployment.load(target)
    assert loaded == suite.deployment
    assert Deployment.load("local", root=tmp_path) == loaded
    assert Deployment.load("ethereum:local", root=tmp_path).path == target
    assert loaded.code_hashes["ClaimToken"] == code_hash(suite.w3, loaded.token)
    assert loaded.expected_code_hashes()[loaded.market] == code_hash(suite.w3, loaded.market)
    assert loaded.stablecoin_mock and loaded.is_local


def test_roles_go_to_the_named_holders_and_reuse_sends_only_missing_grants(node: Anvil) -> None:
    w3 = node.web3()
    sender = TxSender(w3, dev_account(0))
    verifier = dev_account(3).address
    first = deploy_suite(w3, sender, roles={"verifier": [verifier], "PAUSER_ROLE": [verifier, dev_account(4).address]})
    assert first.document["roles"]["VERIFIER_ROLE"]["holders"] == [verifier]
    assert first.document["roles"]["PAUSER_ROLE"]["holders"] == [verifier, dev_account(4).address]
    count = w3.eth.get_transaction_count(dev_account(0).address)
    again = deploy_suite(w3, sender, previous=first, roles={"verifier": [verifier]})
    assert again.token == first.token  # reused: no new deployment
    # Only VERIFIER_ROLE's holder changed... it already holds it: the PAUSER_ROLE default (the deployer) is new.
    assert w3.eth.get_transaction_count(dev_account(0).address) == count + 1
    assert again.document["roles"]["PAUSER_ROLE"]["holders"][-1] == dev_account(0).address
    # A previous deployment whose code is gone is not reused.
    node.rpc("anvil_setCode", first.market, "0x00")
    fresh = deploy_suite(w3, sender, previous=first)
    assert fresh.token != first.token


def test_deploy_refuses_a_mock_off_local_and_a_stablecoin_without_code(node: Anvil) -> None:
    w3 = node.web3()
    sender = TxSender(w3, dev_account(0))
    with pytest.raises(DeploymentError, match="MockUSDC deploys only to local networks"):
        deploy_suite(w3, sender, local=False, network="sepolia")
    with pytest.raises(DeploymentError, match="has no contract code"):
        deploy_suite(w3, sender, stablecoin=dev_account(5).address)
    with pytest.raises(ValueError, match="unknown role"):
        deploy_suite(w3, sender, roles={"MINTER_ROLE": [dev_account(5).address]})
    assert w3.eth.get_transaction_count(dev_account(0).address) == 0  # nothing was sent


def test_deploy_with_a_given_stablecoin(node: Anvil) -> None:
    suite = deploy(node)
    other = deploy_suite(suite.w3, TxSender(suite.w3, dev_account(1)), stablecoin=suite.deployment.stablecoin)
    assert other.stablecoin == suite.deployment.stablecoin and not other.stablecoin_mock
    assert "MockUSDC" not in other.code_hashes
    assert other.document["stablecoin"] == {"address": suite.deployment.stablecoin, "mock": False}


def _doc() -> dict[str, Any]:
    addr = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    return {
        "schema": 1,
        "ecosystem": "ethereum",
        "network": "sepolia",
        "chain_id": 11155111,
        "deployer": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "addresses": {
            "token": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
            "market": "0xCafac3dD18aC6c6e92c921884f9E4176737C052c",
            "distributor": "0x9f1ac54BEF0DD2f6f3462EA0fa94fC62300d3a8e",
            "stablecoin": addr,
        },
        "block": 7,
        "contracts": {
            "ClaimToken": {
                "address": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
                "tx_hash": "0x" + "11" * 32,
                "runtime_code_hash": "0x" + "22" * 32,
            }
        },
        "stablecoin": {"address": addr, "mock": False},
        "roles": {"VERIFIER_ROLE": {"id": "0x" + role_id("VERIFIER_ROLE").hex(), "holders": [], "grants": []}},
        "compiler": {"solc": "0.8.28"},
        "source": {"commit": None},
        "updated_at": 1,
    }


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(schema=2), "schema"),
        (lambda d: d.pop("network"), "network"),
        (lambda d: d.update(chain_id=0), "chain_id"),
        (lambda d: d.update(chain_id="1"), "chain_id"),
        (lambda d: d.pop("addresses"), "addresses"),
        (lambda d: d["addresses"].update(token="0x1234"), "addresses.token"),
        (lambda d: d["addresses"].update(market="0xcAFac3dD18aC6c6e92c921884f9E4176737C052c"), "addresses.market"),
        (lambda d: d["addresses"].update(stablecoin="0x" + "00" * 20), "addresses.stablecoin"),
        (lambda d: d.update(block=-1), "block"),
        (
            lambda d: d["contracts"]["ClaimToken"].update(runtime_code_hash="0x12"),
            "contracts.ClaimToken.runtime_code_hash",
        ),
        (
            lambda d: d["contracts"]["ClaimToken"].update(address="0x9f1ac54BEF0DD2f6f3462EA0fa94fC62300d3a8e"),
            "contracts.ClaimToken.address",
        ),
    ],
)
def test_malformed_documents_name_the_field(mutate: Any, field: str) -> None:
    doc = _doc()
    Deployment.from_dict(doc)  # the unmutated document is fine
    mutate(doc)
    with pytest.raises(DeploymentError) as info:
        Deployment.from_dict(doc)
    assert info.value.field == field


def test_load_errors_and_atomic_save_round_trip(tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="no such deployment file"):
        Deployment.load("sepolia", root=tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DeploymentError, match="not valid JSON"):
        Deployment.load(bad)
    with pytest.raises(DeploymentError, match="not a network name"):
        deployment_path("../etc", root=tmp_path)
    deployment = Deployment.from_dict(_doc())
    saved = deployment.save(tmp_path / "deployments" / "ethereum-sepolia.json")
    assert saved == deployment_path("sepolia", root=tmp_path)
    assert not [p for p in saved.parent.iterdir() if p.name.endswith(".tmp")]
    again = Deployment.load(saved)
    assert again == deployment
    assert again.document["roles"] == _doc()["roles"]  # keys this SDK does not interpret survive a save
    assert again.to_dict()["compiler"] == {"solc": "0.8.28"}
    assert deployment.address_of("ClaimMarket") == deployment.market
    with pytest.raises(ValueError, match="unknown"):
        deployment.address_of("Nope")
    lowercase = _doc()
    lowercase["addresses"]["token"] = lowercase["addresses"]["token"].lower()
    lowercase["contracts"]["ClaimToken"]["address"] = lowercase["addresses"]["token"]
    assert Deployment.from_dict(lowercase).token == "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def test_role_ids() -> None:
    assert role_id("VALIDATOR_ROLE") == keccak(text="VALIDATOR_ROLE")
    assert role_id("validator") == keccak(text="VALIDATOR_ROLE")
    assert role_id("DEFAULT_ADMIN_ROLE") == bytes(32)
    with pytest.raises(ValueError, match="unknown role"):
        role_id("OWNER")
