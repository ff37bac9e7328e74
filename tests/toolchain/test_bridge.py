"""The compiler bridge: solc-js presented as a native ``solc`` to py-solc-x (and so to ape-solidity) and forge.

These run the real compiler (solc-js 0.8.28 from npm) through the executable the set-up installed in py-solc-x's
folder, exactly as ape-solidity finds and calls it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import solcx
from solcx.exceptions import SolcError, SolcNotInstalled
from solcx.install import get_executable

REPO_ROOT = Path(__file__).resolve().parents[2]
SOLC_VERSION = json.loads((REPO_ROOT / "node_modules" / "solc" / "package.json").read_text())["version"]
OZ_ROOT = REPO_ROOT / "node_modules" / "@openzeppelin" / "contracts"

TOKEN_SOURCE = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

contract BridgeProbe is ERC20, Ownable {
    constructor() ERC20("Bridge Probe", "BP") Ownable(msg.sender) {}
    function decimals() public pure override returns (uint8) { return 6; }
    function mint(address to, uint256 amount) external onlyOwner { _mint(to, amount); }
}
"""


def _standard_input(sources: dict[str, str]) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {
            "optimizer": {"enabled": True, "runs": 10000},
            "evmVersion": "cancun",
            "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
            "outputSelection": {"*": {"*": ["abi", "metadata", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
        },
    }


@pytest.fixture(scope="module")
def installed_solc() -> Path:
    """The bridge as py-solc-x sees it: ``solc-v<version>`` in its install folder, put there by the set-up."""
    try:
        return Path(get_executable(SOLC_VERSION))
    except SolcNotInstalled as err:
        pytest.fail(f"solc-v{SOLC_VERSION} is not in py-solc-x's folder: run `make setup` ({err})")


def test_installed_bridge_reports_the_pinned_version(installed_solc: Path) -> None:
    assert installed_solc.name == f"solc-v{SOLC_VERSION}"
    done = subprocess.run([str(installed_solc), "--version"], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.splitlines()[-1].startswith(f"Version: {SOLC_VERSION}+commit.")
    # py-solc-x parses that line the way ape-solidity relies on, so it sees the installed version, not a download.
    assert str(solcx.wrapper.get_solc_version(installed_solc)) == SOLC_VERSION
    assert SOLC_VERSION in {str(v) for v in solcx.get_installed_solc_versions()}


def test_repo_solc_entry_point_answers_version() -> None:
    """``tools/solc`` is what foundry.toml points forge at."""
    done = subprocess.run(
        [str(REPO_ROOT / "tools" / "solc"), "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert f"Version: {SOLC_VERSION}+commit." in done.stdout


def test_compiles_a_contract_with_an_openzeppelin_import(installed_solc: Path) -> None:
    output = solcx.compile_standard(
        _standard_input({"contracts/BridgeProbe.sol": TOKEN_SOURCE}),
        base_path=str(REPO_ROOT),
        allow_paths=[str(REPO_ROOT)],
        solc_binary=installed_solc,
    )
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    # The OpenZeppelin sources were found through the remapping, on disk, under the base path.
    assert "node_modules/@openzeppelin/contracts/token/ERC20/ERC20.sol" in output["sources"]
    probe = output["contracts"]["contracts/BridgeProbe.sol"]["BridgeProbe"]
    functions = {item["name"] for item in probe["abi"] if item["type"] == "function"}
    assert {"mint", "transfer", "owner", "decimals"} <= functions
    bytecode = probe["evm"]["bytecode"]["object"]
    assert len(bytecode) > 2000
    assert all(c in "0123456789abcdef" for c in bytecode)
    # The settings were honoured: the compiler's own metadata says so.
    settings = json.loads(probe["metadata"])["settings"]
    assert settings["evmVersion"] == "cancun"
    assert settings["optimizer"] == {"enabled": True, "runs": 10000}
    assert json.loads(probe["metadata"])["compiler"]["version"].startswith(SOLC_VERSION)


def test_syntax_error_comes_back_as_a_compiler_error_with_its_message(installed_solc: Path) -> None:
    broken = "// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\ncontract Broken { function f( public {} }\n"
    with pytest.raises(SolcError) as raised:
        solcx.compile_standard(
            _standard_input({"contracts/Broken.sol": broken}),
            base_path=str(REPO_ROOT),
            solc_binary=installed_solc,
        )
    message = str(raised.value)
    assert "ParserError" in message
    assert "Broken.sol:3" in message


def test_missing_import_is_reported_by_name(installed_solc: Path) -> None:
    source = (
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\n"
        'import {Nope} from "@openzeppelin/contracts/does/not/Exist.sol";\ncontract C {}\n'
    )
    with pytest.raises(SolcError) as raised:
        solcx.compile_standard(
            _standard_input({"contracts/C.sol": source}), base_path=str(REPO_ROOT), solc_binary=installed_solc
        )
    assert "does/not/Exist.sol" in str(raised.value)
    assert "not found" in str(raised.value).lower()


def test_bridge_answers_bad_json_with_a_json_error(installed_solc: Path) -> None:
    done = subprocess.run(
        [str(installed_solc), "--standard-json"], input="{not json", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    errors = json.loads(done.stdout)["errors"]
    assert errors[0]["severity"] == "error"
    assert "Invalid JSON input" in errors[0]["message"]


def test_bridge_refuses_unsupported_modes_loudly(installed_solc: Path) -> None:
    done = subprocess.run(
        [str(installed_solc), "--combined-json", "abi", "x.sol"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "only --version and --standard-json are supported" in done.stderr


def test_stdout_is_only_json_even_with_warnings(installed_solc: Path) -> None:
    """solcjs's own CLI prints an SMT notice before its JSON; the bridge must never do that."""
    source = "pragma solidity 0.8.28;\ncontract W { function f() public {} }\n"  # no SPDX line: a warning
    done = subprocess.run(
        [str(installed_solc), "--standard-json", "--base-path", str(REPO_ROOT)],
        input=json.dumps(_standard_input({"W.sol": source})),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    output = json.loads(done.stdout)
    assert output["errors"]
    assert {e["severity"] for e in output["errors"]} == {"warning"}
    assert any("SPDX license identifier" in e["message"] for e in output["errors"])
    assert "W" in output["contracts"]["W.sol"]


def test_nothing_in_the_repo_downloads_a_compiler() -> None:
    """No tracked file calls py-solc-x's compiler installer: it downloads binaries, which never works here."""
    needle = "install" + "_solc"  # spelled apart so this file does not match itself
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True, timeout=60)
    offenders = []
    for name in filter(None, listed.stdout.decode().split("\0")):
        path = REPO_ROOT / name
        if path.is_file() and needle.encode() in path.read_bytes():
            offenders.append(name)
    assert offenders == []
