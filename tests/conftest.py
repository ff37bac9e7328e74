"""Process-wide test set-up shared by every test folder (kept minimal: each folder has its own conftest).

- ``node_modules/.bin`` goes first on PATH, so Ape's foundry provider (and any test) runs the project's npm anvil.
- ``APE_FOUNDRY_HOST`` points at a free local port chosen for this pytest process (each xdist worker gets its own):
  Ape's pytest plugin then starts its own anvil there, instead of reusing whatever already listens on 8545
  (another developer's node, a wallet's node, or another worker's).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ["REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_node_bin = str(REPO_ROOT / "node_modules" / ".bin")
if not os.environ.get("PATH", "").startswith(_node_bin + os.pathsep):
    os.environ["PATH"] = _node_bin + os.pathsep + os.environ.get("PATH", "")
os.environ["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{_free_port()}"
