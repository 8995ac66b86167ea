#!/usr/bin/env bash
# deploy/alertmanager/render-config refuses bad input: each case must exit 2, name the variable
# at fault in its message, never print the token, and leave no alertmanager.yml behind.
#
# Usage: render_config_errors.sh <deploy dir>
set -euo pipefail
render=$1/alertmanager/render-config

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
failures=0
token=123456789:AAE-dummy_token_for_tests
printf '%s\n' "$token" >"$tmp/token"
: >"$tmp/empty"

# refuses NAME EXPECTED_MESSAGE VAR=VALUE...: render-config with exactly these variables fails.
refuses() {
  local name=$1 expected=$2 rc=0
  shift 2
  rm -rf -- "$tmp/out"
  env -i PATH="$PATH" "$@" "$render" "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
  if [[ $rc -ne 2 ]]; then
    echo "FAIL: $name: exit $rc, expected 2" >&2
  elif ! grep -qF -- "$expected" "$tmp/stderr"; then
    echo "FAIL: $name: message lacks '$expected':" >&2
    cat "$tmp/stderr" >&2
  elif grep -qF -- "AAE-dummy" "$tmp/stderr" "$tmp/stdout"; then
    echo "FAIL: $name: the token was printed" >&2
  elif [[ -e $tmp/out/alertmanager.yml ]]; then
    echo "FAIL: $name: alertmanager.yml was written anyway" >&2
  else
    echo "ok: $name: $(head -1 "$tmp/stderr")"
    return 0
  fi
  failures=$((failures + 1))
}

refuses missing_token "TELEGRAM_BOT_TOKEN is not set" TELEGRAM_CHAT_ID=42
refuses empty_token "TELEGRAM_BOT_TOKEN is not set" TELEGRAM_BOT_TOKEN= TELEGRAM_CHAT_ID=42
refuses empty_token_file "TELEGRAM_BOT_TOKEN is not set" TELEGRAM_BOT_TOKEN_FILE="$tmp/empty" TELEGRAM_CHAT_ID=42
refuses missing_token_file "TELEGRAM_BOT_TOKEN_FILE=$tmp/nonexistent: not a readable file" \
  TELEGRAM_BOT_TOKEN_FILE="$tmp/nonexistent" TELEGRAM_CHAT_ID=42
refuses token_and_token_file "both TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_TOKEN_FILE are set" \
  TELEGRAM_BOT_TOKEN="$token" TELEGRAM_BOT_TOKEN_FILE="$tmp/token" TELEGRAM_CHAT_ID=42
refuses malformed_token "TELEGRAM_BOT_TOKEN is not a bot token" \
  TELEGRAM_BOT_TOKEN="AAE-dummy'; rm -rf /" TELEGRAM_CHAT_ID=42
refuses missing_chat_id "TELEGRAM_CHAT_ID is not set" TELEGRAM_BOT_TOKEN="$token"
refuses chat_id_name "TELEGRAM_CHAT_ID must be a non-zero integer" TELEGRAM_BOT_TOKEN="$token" TELEGRAM_CHAT_ID=@my_channel
refuses chat_id_decimal "TELEGRAM_CHAT_ID must be a non-zero integer" TELEGRAM_BOT_TOKEN="$token" TELEGRAM_CHAT_ID=12.5
refuses chat_id_zero "TELEGRAM_CHAT_ID must be a non-zero integer" TELEGRAM_BOT_TOKEN="$token" TELEGRAM_CHAT_ID=-0
refuses chat_id_yaml "TELEGRAM_CHAT_ID must be a non-zero integer" TELEGRAM_BOT_TOKEN="$token" TELEGRAM_CHAT_ID="42
  evil: true"
refuses api_url_scheme "TELEGRAM_API_URL must be an http(s) URL" \
  TELEGRAM_BOT_TOKEN="$token" TELEGRAM_CHAT_ID=42 TELEGRAM_API_URL=ftp://api.telegram.org
refuses api_url_quote "TELEGRAM_API_URL must be an http(s) URL" \
  TELEGRAM_BOT_TOKEN="$token" TELEGRAM_CHAT_ID=42 "TELEGRAM_API_URL=http://x'y"

# No output directory: usage on stderr, exit 2.
rc=0
env -i PATH="$PATH" TELEGRAM_BOT_TOKEN="$token" TELEGRAM_CHAT_ID=42 "$render" >/dev/null 2>"$tmp/stderr" || rc=$?
if [[ $rc -eq 2 ]] && grep -qF 'Usage: render-config OUTPUT_DIR' "$tmp/stderr"; then
  echo "ok: no_output_dir"
else
  echo "FAIL: no_output_dir: exit $rc" >&2
  failures=$((failures + 1))
fi

[[ $failures -eq 0 ]] || exit 1
echo "ok: render-config refuses every bad input"
