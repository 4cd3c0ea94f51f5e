#!/bin/bash
# SPDX-License-Identifier: MIT
# The README's demo command: installs the dependencies, builds, starts a private
# Prosody on 127.0.0.1 with demo accounts and the agent with examples/demo.yaml,
# prints how to connect a client, and runs until Ctrl-C.
#   examples/demo.sh [--port N] [--verbose] [--check]
# --check runs one command as alice and exits instead of waiting (a smoke test).
# Generated files (certificates, passwords, logs) go to demo-run/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./tools/install-deps.sh
if [[ ! -f build/build.ninja ]]; then
	meson setup build
fi
meson compile -C build

exec /usr/bin/python3 tests/integration/harness.py demo \
	--agent build/adhocd --policy examples/demo.yaml --run-dir demo-run "$@"
