#!/usr/bin/env bash
# Runs real_clients_test.cjs with the client libraries installed by
# clients/install.sh (npm; the registry is asked once per lock file).
#   real_clients_test.sh EXPORTER_BIN FAKE_OLLAMA_BIN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "node is required (scripts/setup.sh)" >&2; exit 1; }
clients=$("$here/clients/install.sh")
exec node "$here/real_clients_test.cjs" "$clients" "$@"
