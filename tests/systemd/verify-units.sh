#!/bin/sh
# SPDX-License-Identifier: MIT
# `systemd-analyze verify` on the shipped unit files, with ExecStart= pointing at the agent
# just built (verify checks that the command exists). Exit 77 (skipped) without systemd-analyze.
# Usage: verify-units.sh ADHOCD_BINARY SYSTEM_UNIT USER_UNIT
set -eu
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze is missing: skipped"; exit 77; }
bin=$1 system_unit=$2 user_unit=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/sbin/adhocd|$bin|g" "$system_unit" > "$dir/adhocd.service"
sed "s|/usr/sbin/adhocd|$bin|g" "$user_unit" > "$dir/adhocd-user.service"
# Without a running systemd (containers, CI) verify still parses and checks the files.
systemd-analyze verify --man=no "$dir/adhocd.service"
echo "adhocd.service: ok"
XDG_RUNTIME_DIR=$dir systemd-analyze --user verify --man=no "$dir/adhocd-user.service"
echo "adhocd-user.service: ok"
