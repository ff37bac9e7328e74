"""The exception tree: one root, one class per contract custom error, decoded by selector.

Raised-for-real checks (a revert on anvil surfacing as its class) live in ``test_client.py``; here every error
of the shipped ABIs is checked to have its class, with the ABI's signature and parameter names, and to
round-trip through encode / :func:`pyclaims.errors.decode_revert`.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from pyclaims import _abi, errors
from pyclaims._rpc import RpcError
from pyclaims.eip712 import Eip712Error, SignatureError
from pyclaims.errors import ContractError, PyclaimsError, UnknownContractError, decode_revert
from pyclaims.indexer import IndexerError, ReorgTooDeepError
from pyclaims.offers import OfferError
from pyclaims.schedule import ScheduleError, ScheduleRejectedError
from pyclaims.tx import TransactionFailedError, TxError, WouldRevertError, WrongChainError, WrongCodeError
from pyclaims.types import AmountFormatError, ClassSchemeError
from pyclaims.valuation import ValuationError


def _snake(name: str) -> str:
    out = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    return {"from": "from_"}.get(out, out)


def abi_errors() -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """Every custom error of the shipped ABIs: signature -> (contract, inputs)."""
    found: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for contract in _abi.CONTRACT_NAMES:
        for item in _abi.artifact(contract).abi:
            if item["type"] == "error":
                signature = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                found.setdefault(signature, (contract, list(item["inputs"])))
    return found


def sample(kind: str, seed: int) -> Any:
    if kind == "address":
        return "0x" + keccak(seed.to_bytes(8, "big"))[:20].hex()
    if kind == "bytes32":
        return bytes(keccak(seed.to_bytes(8, "big")))
    if kind == "string":
        return f"text {seed} ✓"
    if kind == "bool":
        return seed % 2 == 0
    bits = int(kind.removeprefix("uint"))
    return (seed * 0x9E3779B97F4A7C15 + 1) % (1 << bits)


def test_every_abi_error_has_its_class_with_the_abi_signature_and_names() -> None:
    found = abi_errors()
    assert len(found) >= 80
    for signature, (_contract, inputs) in found.items():
        name = signature.split("(", 1)[0]
        cls = getattr(errors, name)
        assert issubclass(cls, ContractError)
        assert cls.signature == signature
        assert cls.selector == keccak(text=signature)[:4]
        assert cls.fields == tuple(_snake(i["name"]) for i in inputs), name
        assert name in errors.__all__
        assert errors.error_class(name) is cls
        assert errors.error_class(cls.selector) is cls
        assert errors.ERRORS[cls.selector] is cls
    # And no class for an error that is not in any ABI (besides Error(string) and Panic(uint256)).
    assert {c.signature for c in errors.ERRORS.values()} == set(found) | {"Error(string)", "Panic(uint256)"}


def test_branches_group_the_errors_by_contract() -> None:
    for signature, (contract, _) in abi_errors().items():
        cls = getattr(errors, signature.split("(", 1)[0])
        if cls.__name__.startswith(("ClaimToken", "ClaimMarket", "ClaimDistributor", "MockUSDC")):
            family = cls.__name__[: len(contract)] if cls.__name__.startswith(contract) else None
            branch = getattr(errors, f"{family or _prefix(cls.__name__)}Error")
            assert issubclass(cls, branch)
        else:
            assert issubclass(cls, errors.OpenZeppelinError)


def _prefix(name: str) -> str:
    for prefix in ("ClaimToken", "ClaimMarket", "ClaimDistributor", "MockUSDC"):
        if name.startswith(prefix):
            return prefix
    raise AssertionError(name)


@pytest.mark.parametrize("signature", sorted(abi_errors()))
def test_each_error_round_trips_through_its_revert_data(signature: str) -> None:
    name = signature.split("(", 1)[0]
    cls = getattr(errors, name)
    values = [sample(kind, i + 1) for i, kind in enumerate(cls.types)]
    built = cls(*values)
    assert built.data[:4] == cls.selector
    decoded = decode_revert(built.data)
    assert type(decoded) is cls
    assert decoded.data == built.data
    assert decoded.values == built.values
    for field, value in zip(cls.fields, decoded.values, strict=True):
        assert getattr(decoded, field) == value
    # Addresses come back checksummed, bytes32 as bytes, integers as int.
    for kind, value in zip(cls.types, decoded.values, strict=True):
        if kind == "address":
            assert isinstance(value, str) and value != value.lower()
        elif kind == "bytes32":
            assert isinstance(value, bytes) and len(value) == 32
        elif kind.startswith("uint"):
            assert isinstance(value, int)
    assert decode_revert("0x" + built.data.hex()).values == built.values
    assert str(decoded).startswith(f"{name}(")
    by_name = cls(**dict(zip(cls.fields, values, strict=True)))
    assert by_name.values == built.values
    again = pickle.loads(pickle.dumps(decoded))  # noqa: S301 - our own bytes
    assert type(again) is cls and again.values == decoded.values and again.data == decoded.data


def test_error_messages_show_values_and_the_description() -> None:
    err = errors.ClaimTokenClaimExists(b"\x01" * 32, 7)
    assert str(err) == (
        "ClaimTokenClaimExists(claim_ref=0x" + "01" * 32 + ", claim_id=7): "
        "This claim reference is already minted, as ``claim_id``."
    )
    assert err.as_dict() == {"error": "ClaimTokenClaimExists", "claim_ref": "0x" + "01" * 32, "claim_id": 7}
    assert err.tx_hash is None
    assert str(errors.ClaimMarketEmptyBatch()).startswith("ClaimMarketEmptyBatch(): ")


def test_constructor_rejects_bad_fields() -> None:
    with pytest.raises(TypeError, match="missing claim_id"):
        errors.ClaimTokenClaimExists(b"\x00" * 32)
    with pytest.raises(TypeError, match="unknown field 'claimId'"):
        errors.ClaimTokenClaimExists(b"\x00" * 32, claimId=1)
    with pytest.raises(TypeError, match="given twice"):
        errors.ClaimTokenClaimExists(b"\x00" * 32, 1, claim_id=1)
    with pytest.raises(TypeError, match="at most 1 values"):
        errors.ClaimTokenNotAttested("0x" + "00" * 20, 5)


def test_reason_panic_and_unknown_revert_data() -> None:
    reason = decode_revert(errors.RevertWithReason("no way").data)
    assert isinstance(reason, errors.RevertWithReason) and reason.reason == "no way"
    assert reason.data[:4] == bytes.fromhex("08c379a0")
    panic = decode_revert(bytes.fromhex("4e487b71") + (0x11).to_bytes(32, "big"))
    assert isinstance(panic, errors.PanicError) and panic.code == 0x11
    assert "overflow" in str(panic)
    for raw, why in (
        (b"", "no revert data"),
        (None, "no revert data"),
        (b"\x01\x02", "unknown selector"),
        (bytes.fromhex("deadbeef") + bytes(32), "unknown selector 0xdeadbeef"),
        (errors.ClaimTokenClaimExists.selector + b"\x01", "does not decode"),
        ("0xzz", "not hex"),
    ):
        got = decode_revert(raw)
        assert type(got) is UnknownContractError
        assert why in got.reason
        assert isinstance(got, ContractError) and isinstance(got, PyclaimsError)
    unknown = decode_revert(bytes.fromhex("deadbeef"))
    assert unknown.data == bytes.fromhex("deadbeef")
    assert pickle.loads(pickle.dumps(unknown)).reason == unknown.reason  # noqa: S301 - our own bytes


@given(st.binary(max_size=200))
def test_decode_revert_never_raises(data: bytes) -> None:
    assert isinstance(decode_revert(data), ContractError)


def test_one_root_for_every_module() -> None:
    value_errors = (
        ScheduleError,
        ScheduleRejectedError,
        AmountFormatError,
        ClassSchemeError,
        ValuationError,
        OfferError,
        Eip712Error,
        SignatureError,
        errors.DeploymentError,
    )
    for cls in value_errors:
        assert issubclass(cls, PyclaimsError) and issubclass(cls, ValueError), cls
    for cls in (TxError, WrongChainError, WrongCodeError, WouldRevertError, TransactionFailedError):
        assert issubclass(cls, PyclaimsError)
    for cls in (IndexerError, ReorgTooDeepError, RpcError, errors.MintingError, errors.ReconciliationError):
        assert issubclass(cls, PyclaimsError)
    assert not issubclass(ContractError, ValueError)


def test_errors_module_imports_nothing_from_the_package() -> None:
    source = Path(errors.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+pyclaims", source, re.M)


def test_deployment_error_names_the_field() -> None:
    err = errors.DeploymentError("addresses.token", "missing", path="deployments/x.json")
    assert str(err) == "deployments/x.json: addresses.token: missing"
    assert err.field == "addresses.token" and err.reason == "missing"
