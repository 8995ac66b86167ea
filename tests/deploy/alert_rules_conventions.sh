#!/usr/bin/env bash
# Checks the conventions of deploy/prometheus that other tools rely on (alerts.yml's header):
#   - deploy/list-exprs --alerts extracts exactly as many expressions as promtool counts rules;
#   - every rule has its own `for: <duration>` line and a severity of critical or warning;
#   - alerts_test.yml makes every alert fire at least once and checks it silent on the healthy
#     service;
#   - AdminAraSlowWebRTCConnections (the end-to-end test's rule) is there with its shape;
#   - prometheus.yml names its scrape target and Alertmanager as literal localhost:9464 and
#     localhost:9093 and loads alerts.yml.
#
# Usage: alert_rules_conventions.sh <promtool> <deploy dir>
set -euo pipefail
promtool=$1
deploy=$2
rules=$deploy/prometheus/alerts.yml
tests=$deploy/prometheus/alerts_test.yml
config=$deploy/prometheus/prometheus.yml

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

out=$("$promtool" check rules "$rules")
[[ $out =~ SUCCESS:\ ([0-9]+)\ rules\ found ]] || {
  echo "FAIL: promtool check rules said: $out" >&2
  exit 1
}
n=${BASH_REMATCH[1]}
echo "promtool: $n rules"

exprs=$("$deploy/list-exprs" --alerts "$rules")
n_exprs=$(grep -c . <<<"$exprs")
[[ $n_exprs -eq $n ]] || fail "list-exprs --alerts printed $n_exprs expressions, promtool counts $n rules"

n_alerts=$(grep -cE '^[[:space:]]*- alert: ' "$rules" || true)
[[ $n_alerts -eq $n ]] || fail "$n_alerts '- alert:' lines for $n rules (recording rules are not expected here)"

n_for=$(grep -cE '^[[:space:]]*for:' "$rules" || true)
n_for_ok=$(grep -cE '^[[:space:]]+for: [0-9]+[smhdwy]$' "$rules" || true)
[[ $n_for -eq $n && $n_for_ok -eq $n ]] ||
  fail "$n_for 'for:' lines, $n_for_ok of the form 'for: <duration>', for $n rules"

n_sev=$(grep -cE '^[[:space:]]+severity: (critical|warning)$' "$rules" || true)
[[ $n_sev -eq $n ]] || fail "$n_sev 'severity: critical|warning' labels for $n rules"
for a in summary description; do
  c=$(grep -cE "^[[:space:]]+$a: \".*\\{\\{ .*\\}\\}.*\"$" "$rules" || true)
  [[ $c -eq $n ]] || fail "$c templated '$a:' annotations for $n rules"
done

# Alerts the unit tests make fire: an `alertname:` line followed by expected alerts with labels.
fired=$(awk '
  /^[[:space:]]*alertname: / { name = $2 }
  /^[[:space:]]*- exp_labels:/ && name != "" { print name }' "$tests" | sort -u)
while read -r name; do
  grep -qxF "$name" <<<"$fired" || fail "alerts_test.yml never makes $name fire"
  grep -qF "alertname: $name, exp_alerts: []}" "$tests" ||
    fail "alerts_test.yml does not check $name silent on the healthy service"
done < <(awk '/^[[:space:]]*- alert: / { print $3 }' "$rules" | sort -u)

grep -qE '^[[:space:]]+expr: histogram_quantile\(0\.95, .*rate\(webrtc_connection_time_bucket\{?.*\[5m\]\)+ > 5000$' \
  <(grep -A1 -E '^[[:space:]]*- alert: AdminAraSlowWebRTCConnections$' "$rules") ||
  fail "AdminAraSlowWebRTCConnections is missing or no longer p95 of webrtc_connection_time over 5m > 5000"

grep -qE '^[[:space:]]+- localhost:9464$' "$config" || fail "prometheus.yml: no literal target localhost:9464"
grep -qE '^[[:space:]]+- localhost:9093$' "$config" || fail "prometheus.yml: no literal Alertmanager localhost:9093"
grep -qE '^[[:space:]]+- alerts.yml$' "$config" || fail "prometheus.yml: rule_files does not list alerts.yml"
grep -qE '^[[:space:]]+- job_name: adminara-otel$' "$config" || fail "prometheus.yml: no job adminara-otel"

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "ok: $n rules, conventions hold"
