#!/bin/sh
# SPDX-License-Identifier: MIT
# Static analysis of agent/ and plugins/ with cppcheck (meson suite 'static').
# Any finding not listed, with its reason, in cppcheck.supp fails the test.
# Exit 77 (skipped) when cppcheck is not installed: tools/install-deps.sh installs it.
set -eu

src=${1:?usage: cppcheck.sh SOURCE_ROOT}
here=$(dirname "$0")

if ! command -v cppcheck >/dev/null 2>&1; then
        echo "cppcheck is not installed: skipped (run tools/install-deps.sh)"
        exit 77
fi
cppcheck --version

jobs=$(nproc 2>/dev/null || echo 1)
# warning: real bugs (uninitialised use, bad format strings, leaks, overruns, ...);
# portability and performance: cheap and quiet on this code. style is left out: it is
# opinion (variable scope, const) rather than correctness.
exec cppcheck \
        --enable=warning,portability,performance \
        --std=c11 --library=posix --platform=unix64 \
        -D_GNU_SOURCE -D__GNUC__ \
        -I "$src/agent" -I "$src/plugins" \
        --suppressions-list="$here/cppcheck.supp" \
        --inline-suppr \
        --error-exitcode=1 -q -j "$jobs" \
        "$src/agent" "$src/plugins"
