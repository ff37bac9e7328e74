"""The ABIs and bytecode shipped in ``pyclaims/abi/`` are those of the Solidity sources.

The slow test recompiles the contracts through the solc-js bridge with the settings of foundry.toml and
ape-config.yaml (``tools/export_abi.py``) and fails when anything drifted: the ABI exactly, the creation and
runtime code with only the metadata hash masked. The fast tests check the masking and the runtime-code matcher
the client uses to recognise our contracts on chain.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from types import ModuleType

import pytest
from anvil import REPO_ROOT

from pyclaims import _abi


@cache
def export_tool() -> ModuleType:
    """``tools/export_abi.py`` as a module (``tools/`` is not a package)."""
    path = REPO_ROOT / "tools" / "export_abi.py"
    spec = importlib.util.spec_from_file_location("pyclaims_export_abi", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_shipped_artifacts_match_a_fresh_compile() -> None:
    tool = export_tool()
    version = tool.solc_version()
    assert version.startswith("0.8.28+")
    fresh = tool.compile_suite()
    assert set(fresh) == set(_abi.CONTRACT_NAMES)
    for name, output in fresh.items():
        shipped = json.loads((REPO_ROOT / "pyclaims" / "abi" / f"{name}.json").read_text(encoding="utf-8"))
        expected = tool.artifact(name, output, version)
        assert tool.drift(shipped, expected) == [], f"run: .venv/bin/python tools/export_abi.py ({name})"
        assert shipped["abi"] == expected["abi"]  # exactly, order included
        # And the package's loader reads what the file holds.
        loaded = _abi.artifact(name)
        assert list(loaded.abi) == shipped["abi"]
        assert _abi.runtime_matches(name, loaded.runtime)


def test_shipped_compiler_settings_are_the_projects() -> None:
    foundry = (REPO_ROOT / "foundry.toml").read_text(encoding="utf-8")
    assert "optimizer_runs = 10000" in foundry and 'evm_version = "cancun"' in foundry and "via_ir = false" in foundry
    for name in _abi.CONTRACT_NAMES:
        assert dict(_abi.artifact(name).compiler) == {
            "solc": "0.8.28",
            "optimizer": True,
            "optimizer_runs": 10000,
            "evm_version": "cancun",
            "via_ir": False,
        }
    assert _abi.artifact("ClaimToken").bytecode is not None
    assert _abi.artifact("MockUSDC").bytecode is not None
    assert _abi.artifact("ClaimMarket").bytecode is None  # created by the token, never deployed by the SDK


def test_drift_is_detected_in_abi_and_code_but_not_in_the_metadata_hash() -> None:
    tool = export_tool()
    shipped = json.loads((REPO_ROOT / "pyclaims" / "abi" / "MockUSDC.json").read_text(encoding="utf-8"))
    assert tool.drift(shipped, shipped) == []

    other_abi = dict(shipped, abi=shipped["abi"][1:])
    assert tool.drift(shipped, other_abi) == ["MockUSDC: abi differs from the sources"]

    code = bytearray.fromhex(shipped["deployedBytecode"][2:])
    found = _abi._METADATA.search(bytes(code))
    assert found is not None
    metadata_only = bytearray(code)
    metadata_only[found.start(1)] ^= 0xFF  # the IPFS hash: differs between forge, Ape and this build
    assert tool.drift(shipped, dict(shipped, deployedBytecode="0x" + metadata_only.hex())) == []
    code[10] ^= 0x01  # an opcode
    assert tool.drift(shipped, dict(shipped, deployedBytecode="0x" + code.hex())) == [
        "MockUSDC: deployedBytecode differs from the sources (metadata hash ignored)"
    ]


def test_runtime_matcher_ignores_immutables_and_metadata_only() -> None:
    art = _abi.artifact("ClaimToken")
    assert art.immutable_ranges, "ClaimToken has immutables (market, distributor, stablecoin, EIP-712 cache)"
    code = bytearray(art.runtime)
    for start, length in art.immutable_ranges:
        code[start : start + length] = bytes(range(1, length + 1))  # any deployment's addresses
    for found in _abi._METADATA.finditer(bytes(art.runtime)):
        code[found.start(1)] ^= 0x55  # nested creation code of market and distributor included
    assert _abi.runtime_matches("ClaimToken", bytes(code))
    outside = next(i for i in range(len(code)) if all(not s <= i < s + n for s, n in art.immutable_ranges))
    code[outside] ^= 0x01
    assert not _abi.runtime_matches("ClaimToken", bytes(code))
    assert not _abi.runtime_matches("ClaimToken", art.runtime[:-1])
    assert not _abi.runtime_matches("ClaimMarket", art.runtime)
    assert tool_mask_equals_package_mask(art.runtime)


def tool_mask_equals_package_mask(code: bytes) -> bool:
    return bool(export_tool().mask_metadata(code) == _abi.mask_metadata(code))


def test_codec_round_trips_a_call_and_decodes_an_event() -> None:
    token = _abi.contract_abi("ClaimToken")
    fn = token.function("claimIdOf")
    assert fn.signature == "claimIdOf(bytes32)"
    assert token.encode("claimIdOf", b"\x01" * 32) == fn.selector + b"\x01" * 32
    assert token.function("safeTransferFrom(address,address,uint256)").name == "safeTransferFrom"
    with pytest.raises(KeyError, match="overloaded"):
        token.function("safeTransferFrom")
    with pytest.raises(TypeError, match="expected 1 arguments"):
        fn.encode()
    event = token.event("ClassDefined")
    topics = [event.topic, (7).to_bytes(32, "big"), (3).to_bytes(32, "big")]
    assert token.decode_log(topics, b"") == ("ClassDefined", {"classId": 7, "estateId": 3})
    assert token.decode_log([b"\x00" * 32], b"") is None
    with pytest.raises(ValueError, match="unknown contract"):
        _abi.artifact("Nope")
