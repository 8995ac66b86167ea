#!/usr/bin/env bash
# shellcheck disable=SC2016  # the single-quoted programs are jq's; $names in them are jq's
# Checks a Grafana dashboard of deploy/grafana without Grafana:
#   - it is JSON, with a uid, a title and schemaVersion >= 36;
#   - panels have unique ids and fit the 24-column grid;
#   - every panel with queries, and every query, uses the provisioned Prometheus datasource (its
#     uid read from the datasource provisioning file);
#   - the four AdminAra queries of docs/metrics.md appear verbatim;
#   - queries with histogram_quantile ask for exemplars;
#   - every PromQL expression parses: deploy/list-exprs substitutes Grafana's interval variables,
#     each expression becomes a recording rule of a temporary file, `promtool check rules` reads
#     it and must count them all.
#
# Usage: check_dashboard.sh <promtool> <list-exprs> <dashboard.json> <datasource provisioning.yml>
set -euo pipefail
promtool=$1
list_exprs=$2
dashboard=$3
datasources=$4

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

jq empty "$dashboard" || {
  echo "FAIL: $dashboard is not valid JSON" >&2
  exit 1
}

# The uid of the (first) provisioned datasource of type prometheus.
uid=$(awk '
  /^[[:space:]]*- name:/ { type = ""; u = "" }
  /^[[:space:]]+type:[[:space:]]/ { type = $2 }
  /^[[:space:]]+uid:[[:space:]]/ { u = $2 }
  type == "prometheus" && u != "" { print u; exit }' "$datasources")
[[ -n $uid ]] || {
  echo "FAIL: no prometheus datasource with a uid in $datasources" >&2
  exit 1
}
echo "provisioned datasource uid: $uid"

# jq prints one line per problem; none means the check holds.
check() {
  local what=$1 filter=$2 problems
  problems=$(jq -r --arg uid "$uid" "$filter" "$dashboard")
  if [[ -n $problems ]]; then
    fail "$what:"
    while IFS= read -r line; do echo "  $line"; done <<<"$problems" >&2
  else
    echo "ok: $what"
  fi
}

check "uid, title and schemaVersion >= 36" '
  (if (.uid // "") == "" then "no uid" else empty end),
  (if (.title // "") == "" then "no title" else empty end),
  (if ((.schemaVersion // 0) | type) != "number" or .schemaVersion < 36
   then "schemaVersion \(.schemaVersion)" else empty end)'

check "panels have unique ids and fit the grid" '
  [.. | objects | select(has("gridPos") and has("type"))] as $panels
  | ($panels | map(.id) | group_by(.) | map(select(length > 1 or .[0] == null) | "id \(.[0]) used \(length) times") | .[]),
    ($panels[] | select((.gridPos.x // -1) < 0 or (.gridPos.w // 0) < 1 or (.gridPos.h // 0) < 1
                        or .gridPos.x + .gridPos.w > 24)
     | "panel \(.id) \"\(.title)\": gridPos \(.gridPos | tojson)")'

check "every query uses the datasource uid $uid" '
  .. | objects | select(has("targets")) as $p
  | (if ($p.datasource.uid // null) != $uid or ($p.datasource.type // null) != "prometheus"
     then "panel \($p.id) \"\($p.title)\": datasource \($p.datasource | tojson)" else empty end),
    (if ($p.targets | length) == 0 then "panel \($p.id) \"\($p.title)\": no targets" else empty end),
    ($p.targets[] | select((.datasource.uid // null) != $uid or (.datasource.type // null) != "prometheus"
                           or (.expr // "") == "")
     | "panel \($p.id) \"\($p.title)\" target \(.refId): datasource \(.datasource | tojson), expr \(.expr | tojson)"),
    ($p.targets | map(.refId) | group_by(.) | map(select(length > 1 or .[0] == null))
     | .[] | "panel \($p.id) \"\($p.title)\": refId \(.[0]) repeated or missing")'

check "the four AdminAra queries of docs/metrics.md appear verbatim" '
  [.. | objects | select(has("targets")) | .targets[] | .expr] as $exprs
  | ("histogram_quantile(0.95, rate(webrtc_connection_time_bucket[5m]))",
     "rate(queue_wait_time_sum[5m]) / rate(queue_wait_time_count[5m])",
     "histogram_quantile(0.99, rate(job_processing_time_bucket[5m]))",
     "active_spans")
  | select(. as $q | $exprs | index([$q]) | not) | "missing: \(.)"'

check "latency quantile queries ask for exemplars" '
  .. | objects | select(has("targets")) as $p | $p.targets[]
  | select((.expr // "") | test("histogram_quantile\\("))
  | select(.exemplar != true) | "panel \($p.id) \"\($p.title)\" target \(.refId): no \"exemplar\": true"'

# Every expression through PromQL's parser, as recording rules.
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
"$list_exprs" --dashboard "$dashboard" >"$tmp/exprs"
n=$(grep -c . "$tmp/exprs" || true)
if [[ $n -eq 0 ]]; then
  fail "no PromQL expression in $dashboard"
else
  # One rule per line; a JSON string is a YAML double-quoted scalar.
  jq -Rrs '"groups:\n  - name: dashboard-expressions\n    rules:",
           (split("\n") | map(select(. != "")) | to_entries[]
            | "      - record: dashboard:expr_\(.key + 1)\n        expr: \(.value | tojson)")' \
    "$tmp/exprs" >"$tmp/rules.yml"
  if out=$("$promtool" check rules "$tmp/rules.yml" 2>&1) && [[ $out == *"SUCCESS: $n rules found"* ]]; then
    echo "ok: the $n PromQL expressions parse"
  else
    fail "promtool check rules on the dashboard's $n expressions:"
    echo "$out" >&2
    # Name the expressions, since promtool names rules by number.
    nl -ba "$tmp/exprs" >&2
  fi
fi

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "ok: $dashboard"
