"""Unit tests of scripts/deploy.py's checks, with no node: the mock guard, option parsing, the registry file."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType

import click
import pytest
from eth_utils.address import to_checksum_address

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def deploy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pyclaims_deploy_script", REPO_ROOT / "scripts" / "deploy.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "source_id",
    ["contracts/mocks/MockUSDC.sol", "./contracts/mocks/MockUSDC.sol", "contracts\\mocks\\X.sol", "mocks/Y.sol"],
)
def test_mock_sources_are_refused_off_local(deploy: ModuleType, source_id: str) -> None:
    assert deploy.is_mock_source(source_id)
    with pytest.raises(deploy.MockOnLiveNetworkError, match=r"refusing to deploy MockUSDC .* on ethereum:sepolia:node"):
        deploy.ensure_deployable("MockUSDC", source_id, network_choice="ethereum:sepolia:node", is_local=False)
    deploy.ensure_deployable("MockUSDC", source_id, network_choice="ethereum:local:foundry", is_local=True)


@pytest.mark.parametrize("source_id", ["contracts/ClaimToken.sol", "contracts/mockery/X.sol", None, ""])
def test_real_sources_deploy_anywhere(deploy: ModuleType, source_id: str | None) -> None:
    assert not deploy.is_mock_source(source_id)
    deploy.ensure_deployable("ClaimToken", source_id, network_choice="base:sepolia:node", is_local=False)


def test_guard_error_is_a_click_error(deploy: ModuleType) -> None:
    """So `ape run deploy` prints "Error: ..." and exits 1 instead of a traceback."""
    assert issubclass(deploy.MockOnLiveNetworkError, click.ClickException)
    assert issubclass(deploy.NoFundsError, deploy.DeployError)
    assert issubclass(deploy.RpcUnreachableError, deploy.DeployError)


def test_stablecoin_request(deploy: ModuleType) -> None:
    lower = "0x" + "ab" * 20
    assert deploy.resolve_stablecoin_request(None, is_local=True, network_choice="x") is None
    assert deploy.resolve_stablecoin_request("MOCK", is_local=False, network_choice="x") is None  # guard decides
    assert deploy.resolve_stablecoin_request(lower, is_local=False, network_choice="x") == to_checksum_address(lower)
    with pytest.raises(deploy.ConfigurationError, match="--stablecoin: required on base:sepolia:node"):
        deploy.resolve_stablecoin_request("  ", is_local=False, network_choice="base:sepolia:node")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0x1234", "not a 20-byte hex address"),
        ("usdc", "not a 20-byte hex address"),
        ("0x" + "0" * 40, "zero address"),
        ("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "wrong EIP-55 checksum"),
    ],
)
def test_bad_addresses_name_the_field(deploy: ModuleType, value: str, problem: str) -> None:
    with pytest.raises(deploy.ConfigurationError, match=f"--stablecoin: .*{problem}"):
        deploy.parse_address(value, field="--stablecoin")


def test_role_assignments(deploy: ModuleType) -> None:
    a = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    b = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    parsed = deploy.parse_role_assignments([f"verifier={a}", f"VERIFIER_ROLE={b},{a}", f"Pauser_Role={b.lower()}"])
    assert parsed == {"VERIFIER_ROLE": [a, b], "PAUSER_ROLE": [b]}
    assert set(deploy.ROLE_NAMES) == {
        "VERIFIER_ROLE",
        "COMPLIANCE_ROLE",
        "VALIDATOR_ROLE",
        "RECOVERY_ROLE",
        "PAUSER_ROLE",
        "DISTRIBUTOR_ROLE",
        "RESOLVER_ROLE",
    }


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("verifier", "is not NAME=ADDRESS"),
        ("=0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "is not NAME=ADDRESS"),
        ("minter=0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "unknown role 'minter'"),
        ("pauser=0x123", "--role PAUSER_ROLE: '0x123' is not a 20-byte hex address"),
    ],
)
def test_bad_role_assignments(deploy: ModuleType, value: str, problem: str) -> None:
    with pytest.raises(deploy.ConfigurationError, match=problem):
        deploy.parse_role_assignments([value])


def test_registry_path(deploy: ModuleType, tmp_path: Path) -> None:
    assert deploy.registry_path(tmp_path, "base", "sepolia") == tmp_path / "deployments" / "base-sepolia.json"


def test_registry_is_written_atomically(deploy: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "deployments" / "ethereum-local.json"
    deploy.write_registry_atomically(path, {"schema": 1, "n": 1})
    assert json.loads(path.read_text()) == {"schema": 1, "n": 1}
    assert deploy.load_registry(path) == {"schema": 1, "n": 1}
    # A write that fails half-way leaves the old file intact and no temp file behind.
    with pytest.raises(TypeError):
        deploy.write_registry_atomically(path, {"schema": 1, "bad": object()})
    assert json.loads(path.read_text()) == {"schema": 1, "n": 1}
    assert os.listdir(path.parent) == [path.name]


def test_missing_registry_is_none_and_a_corrupt_one_is_an_error(deploy: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    assert deploy.load_registry(path) is None
    path.write_text("{not json")
    with pytest.raises(deploy.ConfigurationError, match="not valid JSON"):
        deploy.load_registry(path)
    path.write_text(json.dumps({"schema": 99}))
    with pytest.raises(deploy.ConfigurationError, match="not a pyclaims registry of schema 1"):
        deploy.load_registry(path)


def test_bytecode_hash(deploy: ModuleType) -> None:
    empty = "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"  # keccak256 of nothing
    assert deploy.bytecode_hash("0x") == empty
    assert deploy.bytecode_hash(b"") == empty
    assert deploy.bytecode_hash("0x6000") == deploy.bytecode_hash(bytes([0x60, 0x00]))


def test_source_commit_outside_git_is_unknown(deploy: ModuleType, tmp_path: Path) -> None:
    assert deploy.source_commit(tmp_path) == {"commit": None, "contracts_dirty": None}


def test_source_commit_in_this_repo(deploy: ModuleType) -> None:
    info = deploy.source_commit(REPO_ROOT)
    assert info["commit"] is None or len(info["commit"]) == 40
