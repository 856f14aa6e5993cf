#!/usr/bin/env bash
# The statement query of BENCHMARKS.md: a partner statement through the admin API over a ledger of
# 100,000 accrual lines, timed over repeated requests (median and worst).
# Usage: scripts/statement-benchmark.sh   (LINES=100000 REQUESTS=25 PORT=18091 to change the defaults; GW=PATH uses that binary instead of building)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/common.sh
LINES=${LINES:-100000}
REQUESTS=${REQUESTS:-25}
PORT=${PORT:-18091}

command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install -y sqlite3)"; exit 1; }
build_gateway
DATA=$(mktemp -d /tmp/gateway-statement.XXXXXX)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT

statement_program --data-dir "$DATA"
statement_ledger_sqlite "$DATA" "$LINES"
echo "ledger: $(sqlite3 "$DATA/gateway.sqlite" 'SELECT COUNT(*) FROM accrual') accrual lines"
echo "query plan: $(sqlite3 "$DATA/gateway.sqlite" "EXPLAIN QUERY PLAN SELECT * FROM accrual WHERE partner_id = 1 AND earned_at >= '2025-06-01' AND earned_at < '2025-07-01'" | tr '\n' ' ')"

GATEWAY_ADMIN_TOKEN=bench $GW serve --port "$PORT" --data-dir "$DATA" --no-processing --log-level warning 2>"$DATA/server.log" &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

time_statement() {  # label, query
  local median worst lines
  read -r median worst lines <<<"$(statement_times "$PORT" "$2")"
  echo "$1: median $median ms, worst $worst ms over $REQUESTS requests ($lines lines in the statement)"
}
time_statement "Acme, June 2025 (JSON)" "1/statement?from=2025-06-01&to=2025-06-30"
time_statement "Acme, June 2025 (CSV)" "1/statement?from=2025-06-01&to=2025-06-30&format=csv"
time_statement "Small Partner, 2025 (JSON)" "2/statement?from=2025-01-01&to=2025-12-31"
