"""Fixtures for the SDK's chain-facing tests: a fresh anvil per test, dev accounts, tiny test contracts.

The contracts are compiled once per session with the pinned solc-js (``tools/solc``); every test gets its own
anvil (it starts in well under a second) so that no test sees another's chain.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

# web3 7.16 imports websockets' legacy client, which warns at import time; the suite turns warnings into
# errors, so the one import-time warning is silenced here (web3's own code, not ours).
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="websockets.legacy is deprecated", category=DeprecationWarning)
    from web3 import Web3
    from web3.contract import Contract

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: the shared helper module `anvil`

from anvil import Anvil, Compiled, compile_solidity, deploy, dev_account

TEST_CONTRACTS = {
    "SdkTest.sol": """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// A key -> value registry that refuses a key twice, as ClaimToken refuses a claimRef twice.
contract Registry {
    error RegistryDuplicate(bytes32 key, uint256 existing);

    event Registered(bytes32 indexed key, uint256 value, address indexed by);

    mapping(bytes32 => uint256) public valueOf;
    uint256 public count;

    function register(bytes32 key, uint256 value) external {
        require(value != 0, "value is zero");
        uint256 existing = valueOf[key];
        if (existing != 0) revert RegistryDuplicate(key, existing);
        valueOf[key] = value;
        count += 1;
        emit Registered(key, value, msg.sender);
    }
}
""",
}


@pytest.fixture(scope="session")
def compiled() -> dict[str, Compiled]:
    """The test contracts, compiled once per session."""
    return compile_solidity(TEST_CONTRACTS)


@pytest.fixture
def anvil_node() -> Iterator[Anvil]:
    """A fresh anvil (chain id 31337, automine) on a free port; killed after the test."""
    with Anvil() as node:
        yield node


@pytest.fixture
def anvil(anvil_node: Anvil) -> str:
    """The URL of a fresh anvil."""
    return anvil_node.url


@pytest.fixture
def w3(anvil_node: Anvil) -> Web3:
    """Plain web3.py on the fresh anvil."""
    return anvil_node.web3()


@pytest.fixture
def registry(w3: Web3, compiled: dict[str, Compiled]) -> Contract:
    """A deployed ``Registry`` (deployed by dev account 9, so account 0's nonces start at 0)."""
    address = deploy(w3, dev_account(9), compiled["Registry"])
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=compiled["Registry"].abi)
