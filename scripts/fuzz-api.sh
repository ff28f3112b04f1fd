#!/usr/bin/env bash
# Fuzzes the API against its own OpenAPI document with Schemathesis: an embedded instance of the api
# role on a fresh DATA_DIR and a free loopback port (rate limits raised for the run), a creator whose
# personal access token has every scope, and a time budget. The run fails on any 5xx, any response
# the document does not describe (status, content type, headers, body), any schema-valid request
# the API refuses, any method that is not a 405 with Allow, and any error the server logged.
#
#   scripts/fuzz-api.sh                 FUZZ_MAX_TIME=<seconds> (default 240), FUZZ_SEED=<seed>
#   scripts/fuzz-api.sh --max-failures 5    extra options go to `st run`
#
# Needs `npm ci` (it runs dist/) and Python 3.11+ with venv. Schemathesis (pinned below) is installed
# once into ~/.cache/linkpulse/schemathesis-<version>. The report (NDJSON of every request) and the
# server's log land in artifacts/fuzz/. scripts/fuzz/schemathesis_hooks.py applies the rules the
# document states in words (analytics ranges, link schedules) to what the fuzzer generates.
#
# Nothing is excluded: the token cannot reach the session-only routes (account deletion, logout,
# token management answer 403 to a token), so the fuzzer cannot lock itself out.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCHEMATHESIS_VERSION=4.32.5
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/linkpulse/schemathesis-$SCHEMATHESIS_VERSION"
MAX_TIME="${FUZZ_MAX_TIME:-240}"
ARTIFACTS="$ROOT/artifacts/fuzz"
# Every check that holds the API to its document, and the 405s; not the ones that need a second
# identity or guess at authentication (ignored_auth would flag the fixed token header).
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,positive_data_acceptance,unsupported_method,allow_header_conformance

log() { printf '[fuzz] %s\n' "$*" >&2; }
die() { printf '[fuzz] error: %s\n' "$*" >&2; exit 1; }

[[ -f "$ROOT/dist/server/cli.js" ]] || die "run npm ci first (the fuzzer runs dist/)"

if [[ ! -x "$VENV/bin/st" ]]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/linkpulse-fuzz.XXXXXX")"
# Embedded PostgreSQL runs as the postgres user when we are root: it must reach DATA_DIR.
chmod 755 "$WORK"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
mkdir -p "$ARTIFACTS"
log "starting the api role on $BASE (DATA_DIR $WORK/data)"
# Only what the run needs: nothing from the caller's environment (a DATABASE_URL…) leaks in.
env -i PATH="$PATH" HOME="$HOME" NODE_ENV=development LOG_LEVEL=warn DATA_DIR="$WORK/data" HOST=127.0.0.1 PORT="$PORT" \
  API_RATE_LIMIT_PER_MINUTE=1000000 API_USER_RATE_LIMIT_PER_MINUTE=1000000 AUTH_RATE_LIMIT_PER_MINUTE=1000000 ASSET_UPLOADS_PER_MINUTE=1000000 \
  node "$ROOT/dist/server/cli.js" start --role api >"$ARTIFACTS/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
  curl -sf "$BASE/readyz" >/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { tail -n 30 "$ARTIFACTS/server.log" >&2; die "the server exited"; }
  sleep 0.5
done
curl -sf "$BASE/readyz" >/dev/null || { tail -n 30 "$ARTIFACTS/server.log" >&2; die "the server did not become ready"; }

# The fuzzer's creator and token, made through the API like any script's.
api="$BASE/api/v1"
origin="Origin: http://localhost:$PORT"
email="fuzzer-$RANDOM$RANDOM@example.com"
password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
json() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }
curl -sf "$api/auth/signup" -H 'Content-Type: application/json' -H "$origin" -d "{\"email\":\"$email\",\"password\":\"$password\"}" >/dev/null ||
  die "could not sign up the fuzzer's creator"
csrf="$(curl -sf -c "$WORK/cookies" "$api/auth/login" -H 'Content-Type: application/json' -H "$origin" -d "{\"email\":\"$email\",\"password\":\"$password\"}" | json csrfToken)" ||
  die "could not log the fuzzer's creator in"
token="$(curl -sf -b "$WORK/cookies" "$api/tokens" -H 'Content-Type: application/json' -H "$origin" -H "X-CSRF-Token: $csrf" \
  -d '{"name":"fuzzer","scopes":["profiles:read","profiles:write","analytics:read","webhooks:read","webhooks:write"]}' | json token)" || token=""
[[ "$token" == lp_pat_* ]] || die "could not create the fuzzer's token"

log "fuzzing for ${MAX_TIME}s with schemathesis $SCHEMATHESIS_VERSION"
started=$SECONDS
status=0
# From $WORK: Schemathesis keeps its example database in the working directory. One worker: with two,
# Hypothesis parses its lambdas' source on two threads at once, which CPython 3.11 can fail with
# "SystemError: AST constructor recursion depth mismatch" (seen in CI), an error of the fuzzer itself.
(
  cd "$WORK"
  PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$ROOT/scripts/fuzz" SCHEMATHESIS_HOOKS=schemathesis_hooks "$VENV/bin/st" run "$api/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks "$CHECKS" \
    --mode all \
    --max-time "$MAX_TIME" \
    --workers 1 \
    --no-color \
    --report ndjson --report-ndjson-path "$ARTIFACTS/schemathesis.ndjson" \
    ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
    "$@"
) || status=$?

# What the server itself counted: every request of the run, and those it answered with a 5xx.
metrics="$(curl -sf "$BASE/metrics")"
requests="$(awk '/^linkpulse_http_requests_total\{.*route="\/api"/ { sum += $NF } END { print sum + 0 }' <<<"$metrics")"
server_errors="$(awk '/^linkpulse_http_requests_total\{.*route="\/api".*status="5/ { sum += $NF } END { print sum + 0 }' <<<"$metrics")"
logged_errors="$(grep -c '"level":"error"\|"level":"fatal"' "$ARTIFACTS/server.log" || true)"
log "$((SECONDS - started))s: $requests API requests, $server_errors answered 5xx, $logged_errors errors logged (log: artifacts/fuzz/server.log)"
if ((logged_errors > 0)); then
  grep '"level":"error"\|"level":"fatal"' "$ARTIFACTS/server.log" | head -n 5 >&2
  status=1
fi
((server_errors == 0)) || status=1
exit "$status"
