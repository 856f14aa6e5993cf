#!/usr/bin/env bash
# The end-to-end benchmark of BENCHMARKS.md: ingest against the same binary's bare baseline,
# exact delivery accounting, processing rate, a full ledger rebuild, and the server's peak memory.
# Usage: scripts/benchmark.sh   (DURATION=20 CONNECTIONS=32 PORT=18090 to change the defaults; KEEP_DATA=1 keeps the store)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18090}

command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install -y sqlite3)"; exit 1; }
swift build -c release --product referral-gateway >/dev/null
(cd Benchmarks && swift build -c release --product gateway-load >/dev/null)
GW=.build/release/referral-gateway
LOAD=Benchmarks/.build/release/gateway-load
DATA=$(mktemp -d /tmp/gateway-bench.XXXXXX)
trap 'kill $PID 2>/dev/null || true; if [ -n "${KEEP_DATA:-}" ]; then echo "data kept in $DATA"; else rm -rf "$DATA"; fi' EXIT

# One referred customer domain: a tenth of the invoices accrue.
$GW partners add --name "Acme Accounting" --kind center_of_influence --data-dir "$DATA" >/dev/null
$GW plans add --name "10% of collected" --rate 10% --data-dir "$DATA" >/dev/null
$GW referrals add --partner 1 --plan 1 --prospect "Bright Dental" --domain brightdental.example --introduced 2025-05-20 --data-dir "$DATA" >/dev/null

GATEWAY_STRIPE_SECRETS=whsec_benchmark $GW serve --port "$PORT" --data-dir "$DATA" --benchmark-endpoints --no-processing \
    --log-level warning 2>"$DATA/server.log" &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); swift: $(swift --version 2>&1 | head -1)"
$LOAD --url "http://127.0.0.1:$PORT/bench/baseline" --label baseline --duration "$DURATION" --connections "$CONNECTIONS" | tee "$DATA/baseline.txt"
$LOAD --url "http://127.0.0.1:$PORT/webhooks/stripe" --label ingest --duration "$DURATION" --connections "$CONNECTIONS" \
    --acknowledged "$DATA/acked.txt" | tee "$DATA/ingest.txt"
RSS=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
kill $PID; wait $PID 2>/dev/null || true

base=$(sed -E 's/.* rps=([0-9]+).*/\1/' "$DATA/baseline.txt")
ingest=$(sed -E 's/.* rps=([0-9]+).*/\1/' "$DATA/ingest.txt")
acked=$(grep -c . "$DATA/acked.txt" || true)
stored=$(sqlite3 "$DATA/gateway.sqlite" "SELECT COUNT(*) FROM delivery WHERE source = 'stripe'")
missing=$(sqlite3 "$DATA/gateway.sqlite" <<SQL
CREATE TEMP TABLE acked (id TEXT);
.import $DATA/acked.txt acked
SELECT COUNT(*) FROM acked WHERE id NOT IN (SELECT vendor_delivery_id FROM delivery);
SQL
)
echo "ratio ingest/baseline: $(awk "BEGIN {printf \"%.2f\", $ingest / $base}")"
echo "acknowledged: $acked, stored: $stored, acknowledged but missing: $missing"
echo "server peak RSS: $((RSS / 1024)) MB"

start=$(date +%s.%N)
$GW process --data-dir "$DATA" >/dev/null
end=$(date +%s.%N)
accruals=$(sqlite3 "$DATA/gateway.sqlite" "SELECT COUNT(*) FROM accrual")
echo "processing: $stored deliveries in $(awk "BEGIN {printf \"%.1f\", $end - $start}") s = $(awk "BEGIN {printf \"%.0f\", $stored / ($end - $start)}") deliveries/s; $accruals accrual lines"

start=$(date +%s.%N)
$GW ledger rebuild --data-dir "$DATA" >/dev/null
end=$(date +%s.%N)
echo "ledger rebuild over $stored stored deliveries: $(awk "BEGIN {printf \"%.2f\", $end - $start}") s"
