#!/usr/bin/env bash
# The public status page under load: wrk -t2 -c256 against /status and /status.json of a running
# `amends serve`, and against nginx serving the same bytes as static files on the same machine in
# the same run; prints req/s and p99 for each and the ratio amends/nginx. Loopback only.
# Needs wrk, nginx and curl (apt-get install wrk nginx-light curl).
#   NGINX_WORKERS="1 auto" (both by default)  ROUNDS=1  DURATION=10s  CONNECTIONS=256
#   RESULTS=FILE appends "figure<TAB>amends<TAB>nginx" lines for bench/run's table.
# Each figure is printed beside its peer, measured right after it; rounds show the spread.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk nginx curl go; do command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }; done
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-256}"
WORKERS="${NGINX_WORKERS:-1 auto}"
ROUNDS="${ROUNDS:-1}"
work=$(mktemp -d)
chmod 755 "$work" # nginx workers run as an unprivileged user and must read the files
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18090
ngport=18091
url="http://127.0.0.1:$port"

echo "== machine: $(nproc) cores, $(go version | cut -d' ' -f3), $(date -u '+%Y-%m-%d %H:%M UTC')"
go build -o "$work/amends" ./cmd/amends
db="sqlite:$work/status.db"
token=$("$work/amends" token create --db "$db" --role responder --name bench)
"$work/amends" serve --db "$db" --addr 127.0.0.1:$port --base-url "$url" --log-level error >"$work/serve.log" 2>&1 &
for _ in $(seq 1 100); do curl -fs "$url/readyz" >/dev/null && break; sleep 0.1; done

# A page worth serving: 3 open incidents with 4 public updates each, 20 resolved ones with 2.
api() { curl -fs -H "Authorization: Bearer $token" -H "Content-Type: application/json" "$@"; }
declare_incident() { # title severity
  api -d "{\"title\":\"$1\",\"severity\":$2,\"summary\":\"internal\"}" "$url/api/v1/incidents" | sed -n 's/.*"ref":"\([^"]*\)".*/\1/p'
}
publish() { # ref body
  api -o /dev/null -d "{\"body\":\"$2\",\"visibility\":\"public\"}" "$url/api/v1/incidents/$1/events"
}
for i in $(seq 1 20); do
  ref=$(declare_incident "Past mistake $i: invoices for some accounts showed the wrong amounts" $(( i % 4 + 1 )))
  publish "$ref" "We sent invoices with the wrong amounts to some accounts. We are correcting them now."
  publish "$ref" "Corrected invoices have been sent to every affected account. We are sorry for the confusion."
  api -o /dev/null -X PATCH -d '{"status":"resolved"}' "$url/api/v1/incidents/$ref"
done
for i in 1 2 3; do
  ref=$(declare_incident "Renewal email $i went to the wrong list" $i)
  for u in 1 2 3 4; do
    publish "$ref" "Update $u: we sent this morning's renewal email to the wrong list of customers. We have stopped further sends and are writing to everyone who received it."
  done
  api -o /dev/null -X PATCH -d '{"status":"identified"}' "$url/api/v1/incidents/$ref"
done
for _ in $(seq 1 50); do grep -q 'Renewal email 3' <(curl -fs "$url/status.json") && break; sleep 0.1; done

mkdir -p "$work/www"
curl -fs "$url/status" >"$work/www/status.html"
curl -fs "$url/status.json" >"$work/www/status.json"
# The gzipped representations amends serves, for nginx's gzip_static: the same bytes again.
curl -fs -H "Accept-Encoding: gzip" "$url/status" >"$work/www/status.html.gz"
curl -fs -H "Accept-Encoding: gzip" "$url/status.json" >"$work/www/status.json.gz"
chmod 644 "$work"/www/*
echo "== page: status.html $(wc -c <"$work/www/status.html") bytes ($(wc -c <"$work/www/status.html.gz") gzipped)," \
  "status.json $(wc -c <"$work/www/status.json") bytes ($(wc -c <"$work/www/status.json.gz") gzipped)"

measure() { # name url [header] -> prints a line, sets rps
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "${3:-X-None: 1}" "$2" >"$work/wrk.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  local p99 errors
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk.txt")
  errors=$(awk '/Non-2xx|Socket errors/ {$1=$1; printf "  (%s)", $0}' "$work/wrk.txt")
  printf "%-44s %12s req/s   p99 %8s%s\n" "$1" "$rps" "$p99" "$errors"
}
echo "== wrk -t2 -c$CONNECTIONS -d$DURATION --latency on loopback, $ROUNDS round(s)"
for round in $(seq 1 "$ROUNDS"); do
  for w in $WORKERS; do
    [ -f "$work/nginx.pid" ] && { kill "$(cat "$work/nginx.pid")"; sleep 0.5; }
    cat >"$work/nginx.conf" <<NGINX
worker_processes $w; pid $work/nginx.pid; error_log $work/nginx-error.log; daemon on;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $work/t1; proxy_temp_path $work/t2; fastcgi_temp_path $work/t3;
  uwsgi_temp_path $work/t4; scgi_temp_path $work/t5; include /etc/nginx/mime.types;
  gzip_static on; gzip_vary on; etag on;
  server { listen 127.0.0.1:$ngport; root $work/www; } }
NGINX
    nginx -c "$work/nginx.conf" -p "$work"
    curl -fsI -H "Accept-Encoding: gzip" "http://127.0.0.1:$ngport/status.html" | grep -qi '^content-encoding: gzip' ||
      { echo "bench: nginx does not serve the gzipped file" >&2; exit 1; }
    for enc in identity gzip; do
      for path in status:status.html status.json:status.json; do
        measure "[$round] GET /${path%%:*} $enc (amends)" "$url/${path%%:*}" "Accept-Encoding: $enc"
        ours=$rps
        measure "[$round]   nginx ($w worker), same bytes" "http://127.0.0.1:$ngport/${path#*:}" "Accept-Encoding: $enc"
        awk -v a="$ours" -v b="$rps" 'BEGIN { printf "[%s]   ratio amends/nginx: %.2f\n", "'"$round"'", a / b }'
        if [ -n "${RESULTS:-}" ]; then
          printf 'GET /%s %s, req/s (nginx, %s worker)\t%s\t%s\n' "${path%%:*}" "$enc" "$w" "$ours" "$rps" >>"$RESULTS"
        fi
      done
    done
  done
done
