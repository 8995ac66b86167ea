#!/usr/bin/env bash
# Runs `promtool check metrics` on each given exposition file. promtool exits 1 on a parse error
# and 3 when it only has lint remarks (missing HELP, unit names...); lint remarks are fine here,
# parse errors are not.
#
# Usage: promtool_check.sh <promtool> <file>...
set -uo pipefail
promtool=$1
shift
status=0
for f in "$@"; do
  out=$("$promtool" check metrics <"$f" 2>&1)
  rc=$?
  if [[ $rc -eq 0 || ($rc -eq 3 && $out != *error*) ]]; then
    echo "ok ($rc): $f"
  else
    echo "FAIL ($rc): $f" >&2
    echo "$out" >&2
    status=1
  fi
done
exit $status
