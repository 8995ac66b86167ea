#!/usr/bin/env bash
# Renders deploy/alertmanager with a dummy bot token and chat id into a temporary directory and
# checks the result with Alertmanager's own amtool:
#   - `amtool check-config` accepts it (configuration and telegram.tmpl);
#   - the placeholders are filled, the token file is private (0600), TELEGRAM_API_URL is used;
#   - critical alerts route to the audible receiver, warnings to the silent one;
#   - the Telegram message renders, HTML-escaped, from alert data;
#   - *_FILE variables work like the plain ones.
# Nothing is sent anywhere.
#
# Usage: alertmanager_check.sh <amtool> <deploy dir>
set -euo pipefail
amtool=$1
render=$2/alertmanager/render-config

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

token=123456789:AAE-dummy_token_for_tests
env -i PATH="$PATH" TELEGRAM_BOT_TOKEN=$token TELEGRAM_CHAT_ID=-1001234567890 \
  TELEGRAM_API_URL=http://127.0.0.1:18080/ "$render" "$tmp/am"
config=$tmp/am/alertmanager.yml

"$amtool" check-config "$config" || fail "amtool check-config rejects the rendered configuration"

grep -q '@TELEGRAM_' "$config" && fail "a placeholder is left in $config"
[[ $(grep -c "bot_token: '$token'" "$config") -eq 2 ]] || fail "the bot token is not in both receivers"
[[ $(grep -c 'chat_id: -1001234567890$' "$config") -eq 2 ]] || fail "the chat id is not in both receivers"
grep -q "telegram_api_url: 'http://127.0.0.1:18080'$" "$config" || fail "TELEGRAM_API_URL is not used (trailing / removed)"
[[ $(stat -c %a "$config") == 600 ]] || fail "$config is mode $(stat -c %a "$config"), not 600"
[[ -f $tmp/am/telegram.tmpl ]] || fail "telegram.tmpl is not next to the configuration"

# Routing: critical pages (receiver telegram), warning is silent (telegram-silent).
route() {
  local receiver=$1
  shift
  "$amtool" config routes test --config.file="$config" --verify.receivers="$receiver" "$@" >/dev/null ||
    fail "labels $* do not route to $receiver"
}
route telegram alertname=AdminAraTargetDown severity=critical job=adminara-otel
route telegram-silent alertname=AdminAraSlowWebRTCConnections severity=warning job=adminara-otel
route telegram alertname=SomethingWithoutSeverity

# The message, from two alerts (one firing with text to escape, one resolved).
cat >"$tmp/data.json" <<'EOF'
{"receiver": "telegram-silent", "status": "firing", "externalURL": "http://127.0.0.1:9093",
 "groupLabels": {"alertname": "AdminAraSlowWebRTCConnections"},
 "commonLabels": {"alertname": "AdminAraSlowWebRTCConnections", "severity": "warning", "job": "adminara-otel"},
 "commonAnnotations": {},
 "alerts": [
  {"status": "firing", "fingerprint": "1", "generatorURL": "http://127.0.0.1:9090/graph",
   "labels": {"alertname": "AdminAraSlowWebRTCConnections", "severity": "warning", "job": "adminara-otel", "instance": "app-1:9464"},
   "annotations": {"summary": "WebRTC connections slow on app-1:9464: p95 7375 ms",
                   "description": "p95 <b>7375</b> ms & rising"},
   "startsAt": "2026-11-27T08:00:00Z", "endsAt": "0001-01-01T00:00:00Z"},
  {"status": "resolved", "fingerprint": "2", "generatorURL": "http://127.0.0.1:9090/graph",
   "labels": {"alertname": "AdminAraSlowWebRTCConnections", "severity": "warning", "job": "adminara-otel", "instance": "app-2:9464"},
   "annotations": {"summary": "WebRTC connections slow on app-2:9464: p95 6000 ms", "description": "resolved one"},
   "startsAt": "2026-11-27T07:00:00Z", "endsAt": "2026-11-27T08:10:00Z"}]}
EOF
message=$("$amtool" template render --template.glob="$tmp/am/telegram.tmpl" \
  --template.text='{{ template "adminara.telegram.message" . }}' --template.data="$tmp/data.json")
echo "--- rendered message ---"
echo "$message"
echo "------------------------"
for want in '<b>FIRING</b> <b>AdminAraSlowWebRTCConnections</b> (warning)' \
  '<b>[WARNING]</b> WebRTC connections slow on app-1:9464: p95 7375 ms' \
  'p95 &lt;b&gt;7375&lt;/b&gt; ms &amp; rising' \
  '1 firing:' '1 resolved:' 'app-1:9464, since 2026-11-27 08:00 UTC' 'resolved 08:10 UTC'; do
  grep -qF -- "$want" <<<"$message" || fail "the message lacks: $want"
done
grep -qF '<b>7375</b>' <<<"$message" && fail "annotation HTML is not escaped"

# The same from files (with the trailing newline editors leave).
printf '%s\n' "$token" >"$tmp/token"
printf '%s\n' 42 >"$tmp/chat"
env -i PATH="$PATH" TELEGRAM_BOT_TOKEN_FILE="$tmp/token" TELEGRAM_CHAT_ID_FILE="$tmp/chat" \
  "$render" "$tmp/from-files"
"$amtool" check-config "$tmp/from-files/alertmanager.yml" >/dev/null || fail "config rendered from files rejected"
[[ $(grep -c 'chat_id: 42$' "$tmp/from-files/alertmanager.yml") -eq 2 ]] || fail "TELEGRAM_CHAT_ID_FILE not used"
grep -q "telegram_api_url: 'https://api.telegram.org'$" "$tmp/from-files/alertmanager.yml" ||
  fail "TELEGRAM_API_URL does not default to https://api.telegram.org"

[[ $failures -eq 0 ]] || exit 1
echo "ok: rendered Alertmanager configuration checked"
