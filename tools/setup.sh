#!/usr/bin/env bash
# Idempotent set-up for pyclaims: everything `make demo` and `make test` need, from a fresh clone.
#   1. .venv with python3.11 (created only if missing)
#   2. pip install -e .[dev,demo,solana] -c requirements/lock.txt   (only when pyproject.toml or the lock changed)
#   3. npm ci                                                         (only when package-lock.json changed)
#   4. the solc-js bridge installed as `solc-v<version>` in py-solc-x's folder (~/.solcx or $SOLCX_BINARY_PATH),
#      so py-solc-x / ape-solidity find "their" compiler and never try to download one.
# A second run prints "ok" lines and installs nothing. Needs only Python 3.11, Node 20+ and npm on PATH,
# and the package registries (PyPI, npm) the first time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3.11}"
VENV="$ROOT/.venv"
PY_STAMP="$VENV/.pyclaims-install.sha256"
NPM_STAMP="$ROOT/node_modules/.pyclaims-npm.sha256"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- 1. Python virtual environment -------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found on PATH (pyclaims needs Python 3.11; set PYTHON=...)"
    say "creating .venv with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' \
    || die ".venv runs $("$VENV/bin/python" --version 2>&1); pyclaims needs >= 3.11: remove .venv and re-run"

# --- 2. Python packages (pinned: every transitive dependency comes from requirements/lock.txt) -------------------
want_py="$(hash_of pyproject.toml requirements/lock.txt)"
have_py="$(cat "$PY_STAMP" 2>/dev/null || true)"
if [ "$want_py" != "$have_py" ] || ! "$VENV/bin/python" -c 'import pyclaims, ape, ape_solidity, ape_foundry' 2>/dev/null; then
    say "installing Python packages (pip install -e .[dev,demo,solana] -c requirements/lock.txt)"
    pip_log="$(mktemp "${TMPDIR:-/tmp}/pyclaims-pip.XXXXXX")"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input \
        -e ".[dev,demo,solana]" -c requirements/lock.txt >"$pip_log" 2>&1; then
        cat "$pip_log" >&2
        rm -f "$pip_log"
        die "pip install failed (log above)"
    fi
    rm -f "$pip_log"
    printf '%s\n' "$want_py" >"$PY_STAMP"
else
    say "ok: Python packages match pyproject.toml + requirements/lock.txt"
fi

# --- 3. npm packages (solc-js, OpenZeppelin, anvil/forge) --------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found on PATH (pyclaims needs Node 20+ and npm)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
    || die "node $(node --version) is too old: pyclaims needs Node 20+"
want_npm="$(hash_of package-lock.json)"
have_npm="$(cat "$NPM_STAMP" 2>/dev/null || true)"
if [ "$want_npm" != "$have_npm" ] || [ ! -x node_modules/.bin/anvil ]; then
    command -v npm >/dev/null 2>&1 || die "npm not found on PATH"
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    printf '%s\n' "$want_npm" >"$NPM_STAMP"
else
    say "ok: node_modules matches package-lock.json"
fi

# --- 3b. OpenZeppelin's Solidity sources for Ape -------------------------------------------------------------------
# Ape unpacks a dependency into contracts/.cache/ and, when it lists the project's sources, stops after the first
# 500 files under contracts/ (ape 0.8.51, SourceManager._all_files). The npm package has 507 files (257 of them
# build JSON), so pointing Ape at node_modules directly can silently drop our own contracts from compilation.
# Ape's dependency is therefore a copy of only the .sol files (248 in 5.7.0), refreshed when the npm side changes.
OZ_SRC="node_modules/@openzeppelin/contracts"
OZ_VERSION="$(node -p "require('./$OZ_SRC/package.json').version")"
OZ_DEST=".cache/deps/openzeppelin-contracts-$OZ_VERSION"
if [ "$(cat "$OZ_DEST/.source.sha256" 2>/dev/null || true)" != "$want_npm" ]; then
    mkdir -p "$ROOT/.cache"
    tmp_oz="$(mktemp -d "$ROOT/.cache/deps.XXXXXX")"
    (cd "$OZ_SRC" && find . -name '*.sol' -print0 | tar --null -cf - -T -) | (cd "$tmp_oz" && tar -xf -)
    printf '%s\n' "$want_npm" >"$tmp_oz/.source.sha256"
    mkdir -p "$(dirname "$OZ_DEST")"
    rm -rf "$OZ_DEST"
    mv "$tmp_oz" "$OZ_DEST"
    say "copied OpenZeppelin $OZ_VERSION sources ($(find "$OZ_DEST" -name '*.sol' | wc -l) files) to $OZ_DEST"
else
    say "ok: OpenZeppelin $OZ_VERSION sources in $OZ_DEST"
fi

# --- 4. the compiler bridge, where py-solc-x looks for installed compilers ---------------------------------------
SOLC_VERSION="$(node -p "require('./node_modules/solc/package.json').version")"
SOLCX_DIR="${SOLCX_BINARY_PATH:-$HOME/.solcx}"
BRIDGE="$SOLCX_DIR/solc-v$SOLC_VERSION"
bridge_text="$(printf '#!/bin/sh\n# Installed by pyclaims tools/setup.sh: the npm solc-js %s presented as a native solc.\nexec node "%s" "$@"\n' \
    "$SOLC_VERSION" "$ROOT/tools/solc-bridge.js")"
if [ ! -x "$BRIDGE" ] || [ "$(cat "$BRIDGE")" != "$bridge_text" ]; then
    mkdir -p "$SOLCX_DIR"
    tmp="$(mktemp "$SOLCX_DIR/.solc-bridge.XXXXXX")"
    printf '%s\n' "$bridge_text" >"$tmp"
    chmod 755 "$tmp"
    mv -f "$tmp" "$BRIDGE"
    say "installed compiler bridge $BRIDGE"
else
    say "ok: compiler bridge $BRIDGE"
fi
version_line="$("$BRIDGE" --version | sed -n 's/^Version: //p')"
case "$version_line" in
    "$SOLC_VERSION"*) ;;
    *) die "compiler bridge $BRIDGE answered '$version_line', expected $SOLC_VERSION" ;;
esac
say "ready: $("$VENV/bin/python" --version), node $(node --version), solc $version_line, $(node_modules/.bin/anvil --version | head -n1)"
