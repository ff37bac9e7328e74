#!/usr/bin/env bash
# Usage: tools/with_anvil.sh CMD [ARGS...]
# Starts the project's npm anvil (node_modules/.bin/anvil, never a downloaded Foundry) on a free local port,
# runs CMD with the node's address in the environment, and stops the node when CMD ends, fails or is interrupted.
#   ANVIL_PORT      port to use (default: a random free port, so parallel runs and a wallet's node on 8545
#                   never collide; ANVIL_PORT=8545 pins the usual one)
#   ANVIL_ARGS      extra anvil arguments (default none; --hardfork cancun and --chain-id 31337 are always set)
# CMD sees:
#   PYCLAIMS_RPC_URL  http://127.0.0.1:<port>
#   APE_FOUNDRY_HOST  the same URL, so Ape's foundry provider connects to this node instead of starting its own
#   ANVIL_PID         the node's process id
# The node's log goes to $ANVIL_LOG (default: a temp file, printed when the node fails to start).
set -euo pipefail

[ "$#" -ge 1 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ANVIL="$ROOT/node_modules/.bin/anvil"
[ -x "$ANVIL" ] || { echo "with_anvil: $ANVIL is missing: run the set-up (make setup) first" >&2; exit 1; }
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY="python3"

free_port() {
    "$PY" - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

port="${ANVIL_PORT:-$(free_port)}"

log="${ANVIL_LOG:-$(mktemp "${TMPDIR:-/tmp}/pyclaims-anvil.XXXXXX")}"
# shellcheck disable=SC2086  # ANVIL_ARGS is a word list on purpose
"$ANVIL" --host 127.0.0.1 --port "$port" --hardfork cancun --chain-id 31337 ${ANVIL_ARGS:-} >"$log" 2>&1 &
anvil_pid=$!

stop_anvil() {
    if kill -0 "$anvil_pid" 2>/dev/null; then
        kill "$anvil_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$anvil_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$anvil_pid" 2>/dev/null || true
    fi
    wait "$anvil_pid" 2>/dev/null || true
    [ -n "${ANVIL_LOG:-}" ] || rm -f "$log"
}
trap stop_anvil EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

url="http://127.0.0.1:$port"
ready=0
for _ in $(seq 1 100); do
    if ! kill -0 "$anvil_pid" 2>/dev/null; then
        break
    fi
    if grep -q "Listening on" "$log" 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" != 1 ]; then
    echo "with_anvil: anvil did not start on $url; its log:" >&2
    cat "$log" >&2
    exit 1
fi
echo "with_anvil: anvil $("$ANVIL" --version | head -n1 | sed 's/^anvil Version: //') listening on $url (pid $anvil_pid)" >&2

export PYCLAIMS_RPC_URL="$url" APE_FOUNDRY_HOST="$url" ANVIL_PID="$anvil_pid"
set +e
"$@"
status=$?
set -e
exit "$status"
