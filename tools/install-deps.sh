#!/bin/bash
# SPDX-License-Identifier: MIT
# Installs what adhocd needs to build, test and run its demo, from Debian 12 packages.
# Idempotent: when every package is already installed it does nothing (no apt at all).
# Uses sudo only when not run as root.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config
	libstrophe-dev libsystemd-dev libyaml-dev libssl-dev
	scdoc
	# integration tests and the demo: a real XMPP server, an independent client
	# library, a real D-Bus, and openssl to make certificates
	prosody
	python3 python3-slixmpp python3-dbus python3-dbusmock
	dbus-daemon dbus-bin
	# real software on the test bus: a media player with its MPRIS plugin, and an
	# independent MPRIS client to check what the agent did to it
	mpv mpv-mpris playerctl
	openssl
	# journal files with known content for the systemd commands' journal tests, written
	# from journal export format without a running journald
	systemd-journal-remote
	# checks: memory errors, formatting, fuzzing
	valgrind clang clang-format
	# static analysis (meson test --suite static)
	cppcheck
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[[ $status == ii* ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	echo "install-deps: all ${#packages[@]} packages are installed"
	exit 0
fi

sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || {
		echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"

# Installing prosody would start a system-wide server on every interface (ports 5222,
# 5269), systemd-journal-remote a listener on port 19532. The tests and the demo run
# their own private ones, so forbid service starts during this install unless the
# machine already has a policy.
policy=/usr/sbin/policy-rc.d
added_policy=
if [[ " ${missing[*]} " =~ " "(prosody|systemd-journal-remote)" " && ! -e $policy ]]; then
	printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 755 "$policy"
	added_policy=1
	trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi

"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"

if [[ -n $added_policy ]]; then
	echo "install-deps: system services (prosody, journal-remote) were installed but not started"
fi
