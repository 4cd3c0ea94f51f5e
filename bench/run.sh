#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs the whole benchmark on loopback and prints the table (bench/README.md):
#
#   bench/run.sh [--quick | --smoke] [--callgrind | --callgrind-only] [--no-smacks] [--verbose]
#                [--build-dir DIR] [--out DIR] [--no-build]
#
# It builds what it needs (meson compile -C DIR bench), then bench/driver.py starts a private
# Prosody (nagle off, no mod_limits, a generated CA, one account per requester), a private
# session bus with tests/dbus/test-service, and build/adhocd with bench/bench.yaml, and runs
# build/bench/adhocd-bench once per phase. The CSV goes to bench/results/ (or --out).
#
#   --quick      every phase with a few requests and 1 s throughput phases (about 30 s)
#   --smoke      --quick, then fail unless the table is complete (the meson test bench-smoke)
#   --callgrind  also count the agent's instructions per request under valgrind
#   --callgrind-only  only that: the set-up and the callgrind phase (about 1 minute)
#   --no-smacks  Prosody without XEP-0198, to see what stream management costs
#   --verbose    adhocd-bench prints timestamps of each phase's steps
#   --no-build   use the build directory as it is
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$src/build
build_it=1
args=()

while (($#)); do
	case $1 in
	--build-dir)
		build=$2
		shift 2
		;;
	--build-dir=*)
		build=${1#*=}
		shift
		;;
	--no-build)
		build_it=0
		shift
		;;
	-h | --help)
		sed -n '3,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		args+=("$1")
		shift
		;;
	esac
done

if ((build_it)); then
	if [[ ! -f $build/build.ninja ]]; then
		meson setup "$build" "$src"
	fi
	meson compile -C "$build" bench
fi

# The Debian python3 that has slixmpp: another python3 may come first on PATH.
exec /usr/bin/python3 "$src/bench/driver.py" --build-dir "$build" "${args[@]}"
