#!/bin/bash
# SPDX-License-Identifier: MIT
# Fails when a C file of the tree does not follow .clang-format. Skips (77) without the tool.
set -euo pipefail
root=${1:?source root}
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
cd "$root"
bad=0
while IFS= read -r -d '' f; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run clang-format -i $f)"
		bad=1
	fi
done < <(find agent plugins tests bench -name '*.[ch]' -print0 2>/dev/null)
exit $bad
