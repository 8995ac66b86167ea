#!/usr/bin/env bash
# Shows that check_dashboard.sh catches what it claims to: each case breaks one thing in a copy of
# the dashboard and expects the check to fail with a message naming the problem.
#
# Usage: check_dashboard_selftest.sh <check_dashboard.sh> <promtool> <list-exprs> <dashboard.json>
#        <datasource provisioning.yml>
set -euo pipefail
check=$1
promtool=$2
list_exprs=$3
dashboard=$4
datasources=$5

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
failures=0

# expect_failure NAME EXPECTED_MESSAGE JQ_PROGRAM: the dashboard changed by JQ_PROGRAM must fail.
expect_failure() {
  local name=$1 expected=$2 program=$3
  jq "$program" "$dashboard" >"$tmp/$name.json"
  if bash "$check" "$promtool" "$list_exprs" "$tmp/$name.json" "$datasources" >"$tmp/out" 2>&1; then
    echo "FAIL: $name: the check passed" >&2
    failures=$((failures + 1))
  elif ! grep -qF -- "$expected" "$tmp/out"; then
    echo "FAIL: $name: the check failed without saying '$expected':" >&2
    cat "$tmp/out" >&2
    failures=$((failures + 1))
  else
    echo "ok: $name"
  fi
}

# The unchanged dashboard passes (else the cases below prove nothing).
bash "$check" "$promtool" "$list_exprs" "$dashboard" "$datasources" >"$tmp/out" 2>&1 || {
  cat "$tmp/out" >&2
  echo "FAIL: the dashboard itself does not pass" >&2
  exit 1
}

# The first panel with targets, and its first target.
first='first(.panels[] | select(has("targets")))'
expect_failure wrong_target_datasource 'datasource {"type":"prometheus","uid":"other"}' \
  "($first.targets[0].datasource) = {\"type\": \"prometheus\", \"uid\": \"other\"}"
# shellcheck disable=SC2016  # ${DS_PROMETHEUS} is Grafana's import placeholder, literally
expect_failure wrong_panel_datasource 'datasource {"uid":"${DS_PROMETHEUS}"}' \
  "($first.datasource) = {\"uid\": \"\${DS_PROMETHEUS}\"}"
expect_failure design_query_changed 'missing: histogram_quantile(0.95, rate(webrtc_connection_time_bucket[5m]))' \
  "($first.targets[0].expr) = \"histogram_quantile(0.95, rate(webrtc_connection_time_bucket[10m]))\""
expect_failure no_exemplar 'no "exemplar": true' "del($first.targets[0].exemplar)"
expect_failure unparsable_expr 'promtool check rules' \
  "(.panels[] | select(has(\"targets\")) | .targets[] | select(.expr == \"active_spans\") | .expr) = \"sum(rate(active_spans[\$__rate_interval])\""
expect_failure duplicate_panel_id 'used 2 times' '.panels[2].id = .panels[1].id'
expect_failure off_grid 'gridPos' '.panels[1].gridPos.x = 20'
expect_failure old_schema 'schemaVersion 16' '.schemaVersion = 16'

printf '{"panels": [' >"$tmp/truncated.json"
if bash "$check" "$promtool" "$list_exprs" "$tmp/truncated.json" "$datasources" >"$tmp/out" 2>&1 ||
  ! grep -qF 'is not valid JSON' "$tmp/out"; then
  echo "FAIL: invalid JSON not reported:" >&2
  cat "$tmp/out" >&2
  failures=$((failures + 1))
else
  echo "ok: invalid_json"
fi

[[ $failures -eq 0 ]] || exit 1
echo "ok: check_dashboard.sh catches every broken copy"
