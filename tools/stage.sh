#!/usr/bin/env bash
# One setup stage: runs the command quietly and prints one line with its elapsed time; the command's
# output is shown only when it fails. Usage: tools/stage.sh "<label>" command [args...]
set -uo pipefail
label=$1
shift
log=$(mktemp)
start=$(date +%s%N)
"$@" >"$log" 2>&1
status=$?
tenths=$((($(date +%s%N) - start) / 100000000))
if [ "$status" -eq 0 ]; then
  printf 'setup: %-44s %4d.%d s\n' "$label" $((tenths / 10)) $((tenths % 10))
else
  printf 'setup: %-44s %4d.%d s  FAILED (exit %d):\n' "$label" $((tenths / 10)) $((tenths % 10)) "$status" >&2
  cat "$log" >&2
fi
rm -f "$log"
exit "$status"
