"""scripts/deploy.py end to end: ``ape run deploy`` against a real anvil, in a scratch copy of the project.

Covers: the registry file and what it records, reuse on the second run ("reused", no transaction), ``--force``,
redeploy when the recorded code is gone, role wiring, a mock refused on a non-local network, and clear errors for
an unreachable or unset RPC and for a deployer without funds.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from .conftest import AnvilNode, ApeProject, free_port

DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil's first account (the default mnemonic)
ROLES = (
    "VERIFIER_ROLE",
    "COMPLIANCE_ROLE",
    "VALIDATOR_ROLE",
    "RECOVERY_ROLE",
    "PAUSER_ROLE",
    "DISTRIBUTOR_ROLE",
    "RESOLVER_ROLE",
)
STAGING = "pyclaims-staging"


def _selector(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()[:8]


def _address_word(address: str) -> str:
    return address.lower().removeprefix("0x").rjust(64, "0")


def _call_address(node: AnvilNode, to: str, signature: str) -> str:
    word = node.call(to, _selector(signature))
    return str(to_checksum_address("0x" + word[-40:]))


def _has_role(node: AnvilNode, token: str, role_name: str, account: str) -> bool:
    role = node.call(token, _selector(f"{role_name}()"))
    data = _selector("hasRole(bytes32,address)") + role.removeprefix("0x") + _address_word(account)
    return int(node.call(token, data), 16) == 1


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory,
    anvil: AnvilNode,
    make_ape_project: Callable[[Path, str], ApeProject],
) -> ApeProject:
    """The scratch project, with an extra non-local network (``ethereum:pyclaims-staging:node``) on the same anvil,
    plus one on a dead port and one whose URL comes from an unset environment variable."""
    dead_port = free_port()
    extra = f"""
networks:
  custom:
    - name: {STAGING}
      ecosystem: ethereum
      chain_id: 31337
      default_provider: node
    - name: pyclaims-dead
      ecosystem: ethereum
      chain_id: 31337
      default_provider: node
    - name: pyclaims-unset
      ecosystem: ethereum
      chain_id: 31337
      default_provider: node
"""
    config_root = tmp_path_factory.mktemp("ape-project")
    built = make_ape_project(config_root, extra)
    # The node section must merge with the one in ape-config.yaml: rewrite it with the extra networks added.
    config_path = built.path / "ape-config.yaml"
    text = config_path.read_text()
    text = text.replace(
        "  ethereum:\n    sepolia:\n      uri: $SEPOLIA_RPC_URL\n",
        "  ethereum:\n    sepolia:\n      uri: $SEPOLIA_RPC_URL\n"
        f"    {STAGING}:\n      uri: {anvil.url}\n"
        f"    pyclaims-dead:\n      uri: http://127.0.0.1:{dead_port}\n"
        "    pyclaims-unset:\n      uri: $PYCLAIMS_TEST_SURELY_UNSET_RPC_URL\n",
    )
    assert STAGING in text.split("node:", 1)[1], "the node section of ape-config.yaml changed shape"
    config_path.write_text(text)
    env = dict(built.env)
    env["APE_FOUNDRY_HOST"] = anvil.url  # the local network connects to this module's anvil
    env.pop("PYCLAIMS_TEST_SURELY_UNSET_RPC_URL", None)
    return ApeProject(path=built.path, env=env)


@pytest.fixture(scope="module")
def first_deploy(project: ApeProject, anvil: AnvilNode) -> dict[str, Any]:
    done = project.run("run", "deploy", "--network", "ethereum:local:foundry")
    assert done.returncode == 0, _output(done)
    return {"output": done.stdout, "registry": project.registry(), "block": anvil.block_number()}


def test_first_run_deploys_and_writes_the_registry(first_deploy: dict[str, Any], anvil: AnvilNode) -> None:
    registry = first_deploy["registry"]
    assert registry["schema"] == 1
    assert (registry["ecosystem"], registry["network"], registry["chain_id"]) == ("ethereum", "local", 31337)
    assert registry["deployer"] == DEPLOYER
    addresses = registry["addresses"]
    assert set(addresses) == {"token", "market", "distributor", "stablecoin"}
    # The addresses are what the chain says: the token created the market and the distributor.
    token = addresses["token"]
    assert _call_address(anvil, token, "market()") == addresses["market"]
    assert _call_address(anvil, token, "distributor()") == addresses["distributor"]
    for address in addresses.values():
        assert anvil.code(address) not in ("0x", "0x0")
    contracts = registry["contracts"]
    assert contracts["MockUSDC"]["mock"] is True
    assert contracts["MockUSDC"]["source"] == "contracts/mocks/MockUSDC.sol"
    assert contracts["ClaimToken"]["constructor_args"] == {"stablecoin": addresses["stablecoin"], "admin": DEPLOYER}
    # Market and distributor were created by the token's deployment transaction.
    token_tx = contracts["ClaimToken"]["tx_hash"]
    assert contracts["ClaimMarket"]["tx_hash"] == token_tx == contracts["ClaimDistributor"]["tx_hash"]
    assert contracts["ClaimMarket"]["created_by"] == "ClaimToken"
    for name in ("MockUSDC", "ClaimToken"):
        receipt = anvil.rpc("eth_getTransactionReceipt", [contracts[name]["tx_hash"]])
        assert int(receipt["status"], 16) == 1
        assert int(receipt["blockNumber"], 16) == contracts[name]["block"]
        assert to_checksum_address(receipt["contractAddress"]) == contracts[name]["address"]
        assert contracts[name]["bytecode_hash"].startswith("0x")
        assert len(contracts[name]["bytecode_hash"]) == 66
    assert registry["block"] == contracts["ClaimToken"]["block"]
    for name in ("ClaimToken", "ClaimMarket", "ClaimDistributor", "MockUSDC"):
        code = bytes.fromhex(anvil.code(contracts[name]["address"])[2:])
        assert contracts[name]["runtime_code_hash"] == "0x" + keccak(code).hex()
    assert registry["compiler"] == {
        "solc": "0.8.28",
        "optimizer": True,
        "optimizer_runs": 10000,
        "evm_version": "cancun",
    }
    assert len(registry["source"]["commit"]) == 40
    assert registry["source"]["contracts_dirty"] is False


def test_first_run_grants_every_role_to_the_deployer(first_deploy: dict[str, Any], anvil: AnvilNode) -> None:
    registry = first_deploy["registry"]
    token = registry["addresses"]["token"]
    assert set(registry["roles"]) == set(ROLES)
    for role in ROLES:
        assert _has_role(anvil, token, role, DEPLOYER), role
        assert registry["roles"][role]["holders"] == [DEPLOYER]
        assert registry["roles"][role]["grants"][0]["account"] == DEPLOYER
        assert f"{role}" in first_deploy["output"]
    # The admin holds DEFAULT_ADMIN_ROLE (bytes32 zero).
    data = _selector("hasRole(bytes32,address)") + "0" * 64 + _address_word(DEPLOYER)
    assert int(anvil.call(token, data), 16) == 1


def test_second_run_reuses_without_a_transaction(
    first_deploy: dict[str, Any], project: ApeProject, anvil: AnvilNode
) -> None:
    block_before = anvil.block_number()
    done = project.run("run", "deploy", "--network", "ethereum:local:foundry")
    assert done.returncode == 0, _output(done)
    assert "reused" in done.stdout
    assert "pyclaims deploy: reused;" in done.stdout
    assert anvil.block_number() == block_before  # nothing was sent
    registry = project.registry()
    assert registry["addresses"] == first_deploy["registry"]["addresses"]
    assert registry["contracts"] == first_deploy["registry"]["contracts"]


def test_new_role_holder_is_granted_on_a_reused_suite(
    first_deploy: dict[str, Any], project: ApeProject, anvil: AnvilNode
) -> None:
    verifier = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil's second account
    done = project.run("run", "deploy", "--network", "ethereum:local:foundry", "--role", f"verifier={verifier}")
    assert done.returncode == 0, _output(done)
    registry = project.registry()
    assert registry["addresses"] == first_deploy["registry"]["addresses"]
    token = registry["addresses"]["token"]
    assert _has_role(anvil, token, "VERIFIER_ROLE", verifier)
    assert registry["roles"]["VERIFIER_ROLE"]["holders"] == [DEPLOYER, verifier]
    assert f"VERIFIER_ROLE     {verifier} granted" in done.stdout


def test_force_redeploys(first_deploy: dict[str, Any], project: ApeProject) -> None:
    done = project.run("run", "deploy", "--network", "ethereum:local:foundry", "--force")
    assert done.returncode == 0, _output(done)
    assert "pyclaims deploy: deployed;" in done.stdout
    registry = project.registry()
    assert registry["addresses"]["token"] != first_deploy["registry"]["addresses"]["token"]
    assert registry["addresses"]["stablecoin"] != first_deploy["registry"]["addresses"]["stablecoin"]


def test_redeploys_when_the_recorded_code_is_gone(project: ApeProject, anvil: AnvilNode) -> None:
    """As after an anvil restart: the registry points at addresses with no code."""
    before = project.registry()
    anvil.rpc("anvil_setCode", [before["addresses"]["token"], "0x"])
    done = project.run("run", "deploy", "--network", "ethereum:local:foundry")
    assert done.returncode == 0, _output(done)
    after = project.registry()
    assert after["addresses"]["token"] != before["addresses"]["token"]
    assert after["addresses"]["stablecoin"] == before["addresses"]["stablecoin"]  # the mock was still live
    assert f"MockUSDC          {before['addresses']['stablecoin']} reused" in done.stdout


def test_mock_is_refused_on_a_non_local_network(project: ApeProject, anvil: AnvilNode) -> None:
    block_before = anvil.block_number()
    done = project.run("run", "deploy", "--network", f"ethereum:{STAGING}:node", "--stablecoin", "mock")
    assert done.returncode != 0
    out = _output(done)
    assert "refusing to deploy MockUSDC (contracts/mocks/MockUSDC.sol)" in out
    assert f"ethereum:{STAGING}:node" in out
    assert anvil.block_number() == block_before
    assert not (project.path / "deployments" / f"ethereum-{STAGING}.json").exists()


def test_non_local_network_needs_a_stablecoin(project: ApeProject) -> None:
    done = project.run("run", "deploy", "--network", f"ethereum:{STAGING}:node")
    assert done.returncode != 0
    assert "--stablecoin: required on ethereum:" in _output(done)


def test_non_local_network_needs_an_account(project: ApeProject) -> None:
    stablecoin = project.registry()["addresses"]["stablecoin"]
    done = project.run("run", "deploy", "--network", f"ethereum:{STAGING}:node", "--stablecoin", stablecoin)
    assert done.returncode != 0
    assert "--account: required on ethereum:" in _output(done)


def test_deployer_without_funds_gets_a_clear_error(project: ApeProject, anvil: AnvilNode) -> None:
    account = Account.create()
    alias = "broke"
    passphrase = "correct horse battery staple"
    keyfile = Account.encrypt(account.key, passphrase, kdf="pbkdf2", iterations=1000)
    accounts_dir = Path(project.env["APE_DATA_FOLDER"]) / "accounts"
    accounts_dir.mkdir(parents=True, exist_ok=True)
    (accounts_dir / f"{alias}.json").write_text(json.dumps(keyfile))
    stablecoin = project.registry()["addresses"]["stablecoin"]
    env = dict(project.env)
    env[f"APE_ACCOUNTS_{alias}_PASSPHRASE"] = passphrase
    funded = ApeProject(path=project.path, env=env)
    block_before = anvil.block_number()
    done = funded.run(
        "run",
        "deploy",
        "--network",
        f"ethereum:{STAGING}:node",
        "--stablecoin",
        stablecoin,
        "--account",
        alias,
        "--yes",
    )
    assert done.returncode != 0
    out = _output(done)
    assert f"deployer {account.address} has no funds on ethereum:{STAGING}:node" in out
    assert anvil.block_number() == block_before


def test_unreachable_rpc_gets_a_clear_error(project: ApeProject) -> None:
    done = project.run("run", "deploy", "--network", "ethereum:pyclaims-dead:node", "--stablecoin", DEPLOYER)
    assert done.returncode != 0
    assert "ethereum:pyclaims-dead:node: cannot reach the RPC endpoint" in _output(done)


def test_unset_rpc_variable_is_named(project: ApeProject) -> None:
    done = project.run("run", "deploy", "--network", "ethereum:pyclaims-unset:node", "--stablecoin", DEPLOYER)
    assert done.returncode != 0
    out = _output(done)
    assert "PYCLAIMS_TEST_SURELY_UNSET_RPC_URL" in out
    assert "not set" in out
