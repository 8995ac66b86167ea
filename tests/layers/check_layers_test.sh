#!/usr/bin/env bash
# scripts/check-layers against trees made for the test: passes on the repository's own tree,
# fails naming file, line and include for an upward include planted in src/common/, for apps/
# including a private header, and for a file in no layer.
# Usage: check_layers_test.sh <source dir>
set -euo pipefail
src=$1
check=$src/scripts/check-layers
work=$(mktemp -d "${TMPDIR:-/tmp}/check-layers.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

"$check" --root "$src" >/dev/null || fail "the repository's own tree does not pass"

# expect_violation <tree> <expected line>: check-layers exits 1 and prints the line.
expect_violation() {
  local out
  if out=$("$check" --root "$1" 2>&1); then
    fail "check-layers passed on $1; expected: $2"
  fi
  grep -qF -- "$2" <<<"$out" || fail "expected '$2' in: $out"
  echo "ok: $2"
}

tree=$work/upward
mkdir -p "$tree/docs" "$tree/src/common" "$tree/src/jobs"
cp "$src/docs/architecture.md" "$tree/docs/"
echo '// cron' >"$tree/src/jobs/cron.h"
printf '#include <string>\n\n#include "jobs/cron.h"\n' >"$tree/src/common/planted.cc"
expect_violation "$tree" "src/common/planted.cc:3: layer 'common' may not include \"jobs/cron.h\" (layer 'jobs'"

tree=$work/apps
mkdir -p "$tree/docs" "$tree/src/jobs/redis" "$tree/apps/server"
cp "$src/docs/architecture.md" "$tree/docs/"
echo '// client' >"$tree/src/jobs/redis/redis_client.h"
echo '#include "jobs/redis/redis_client.h"' >"$tree/apps/server/store.cc"
expect_violation "$tree" "apps/server/store.cc:1: layer 'apps' may not include \"jobs/redis/redis_client.h\""

tree=$work/public
mkdir -p "$tree/docs" "$tree/include/adminara/obs" "$tree/src/sdk"
cp "$src/docs/architecture.md" "$tree/docs/"
echo '// init' >"$tree/include/adminara/obs/observability.h"
echo '#include "adminara/obs/observability.h"' >"$tree/src/sdk/config.h"
expect_violation "$tree" "src/sdk/config.h:1: layer 'sdk' may not include \"adminara/obs/observability.h\" (layer 'init-public'"

tree=$work/nolayer
mkdir -p "$tree/docs" "$tree/src/newlayer"
cp "$src/docs/architecture.md" "$tree/docs/"
echo '// x' >"$tree/src/newlayer/x.cc"
expect_violation "$tree" "src/newlayer/x.cc: in no layer"
echo "check-layers: all cases passed"
