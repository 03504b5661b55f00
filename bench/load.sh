#!/usr/bin/env bash
# Mixed load against a real `amends serve` on loopback (see bench/load/main.go for what it sends):
# builds amends and the load program, starts the server on a fresh database, creates an admin
# token, runs the load and prints per-route counts, errors, p50/p99 and the server's RSS.
#   DURATION=5m (default)   DB=sqlite (default) | postgres (needs AMENDS_TEST_POSTGRES)
#   LOAD_FLAGS="-read-rate 400 -write-rate 100 ..." passes more flags to the load program.
#   SUMMARY=FILE also writes the results as tab-separated lines (bench/run reads them).
# Exit status 1 when any request failed or a fan-out did not reach every receiver.
set -euo pipefail
cd "$(dirname "$0")/.."
export AMENDS_TEST_POSTGRES="${AMENDS_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
DURATION="${DURATION:-5m}"
DB="${DB:-sqlite}"
PORT="${PORT:-18095}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
url="http://127.0.0.1:$PORT"

echo "== machine: $(nproc) cores, $(go version | cut -d' ' -f3), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$work/amends" ./cmd/amends
go build -o "$work/load" ./bench/load
case "$DB" in
sqlite) db="sqlite:$work/data/amends.db" ;;
postgres) db=$(go run ./bench/pgschema) || { echo "bench: PostgreSQL is not answering at AMENDS_TEST_POSTGRES" >&2; exit 1; } ;;
*) echo "bench: DB is sqlite or postgres" >&2; exit 2 ;;
esac
mkdir -p "$work/data"
token=$("$work/amends" token create --data "$work/data" --db "$db" --role admin --name load)
"$work/amends" serve --data "$work/data" --db "$db" --addr "127.0.0.1:$PORT" --base-url "$url" --log-level warn >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do curl -fs "$url/readyz" >/dev/null && break; sleep 0.1; done
curl -fs "$url/readyz" >/dev/null || { echo "bench: amends did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "== amends serve (pid $pid) on $DB"
status=0
# shellcheck disable=SC2086
"$work/load" -url "$url" -token "$token" -pid "$pid" -duration "$DURATION" ${SUMMARY:+-summary "$SUMMARY"} ${LOAD_FLAGS:-} || status=$?
echo "== load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q . "$work/serve.log"; then
  echo "== server log (warnings and errors):"
  tail -n 20 "$work/serve.log"
fi
exit $status
