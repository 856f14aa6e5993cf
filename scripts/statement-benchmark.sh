#!/usr/bin/env bash
# The statement query of BENCHMARKS.md: a partner statement through the admin API over a ledger of
# 100,000 accrual lines, timed over repeated requests (median and worst).
# Usage: scripts/statement-benchmark.sh   (LINES=100000 REQUESTS=25 PORT=18091 to change the defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${LINES:-100000}
REQUESTS=${REQUESTS:-25}
PORT=${PORT:-18091}

command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install -y sqlite3)"; exit 1; }
swift build -c release --product referral-gateway >/dev/null
GW=.build/release/referral-gateway
DATA=$(mktemp -d /tmp/gateway-statement.XXXXXX)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT

$GW partners add --name "Acme Accounting" --kind center_of_influence --data-dir "$DATA" >/dev/null
$GW partners add --name "Small Partner" --kind vcio --data-dir "$DATA" >/dev/null
$GW plans add --name "10% of collected" --rate 10% --data-dir "$DATA" >/dev/null
$GW referrals add --partner 1 --plan 1 --prospect "Bright Dental" --domain brightdental.example --introduced 2021-01-01 --data-dir "$DATA" >/dev/null
$GW referrals add --partner 2 --plan 1 --prospect "Clear Law" --domain clearlaw.example --introduced 2021-01-01 --data-dir "$DATA" >/dev/null

# Acme holds all but 60 of the lines, one every 26 minutes over five years (2021-2025), so a
# month holds about 1,650 of them; Small Partner holds one line a month.
sqlite3 "$DATA/gateway.sqlite" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $LINES)
INSERT INTO accrual (accrual_key, partner_id, referral_id, beneficiary, delivery_id, business_key, rule, plan_id, plan_version,
    basis_minor, rate_bps, amount_minor, currency, earned_at, hold_until, note, needs_approval, adjusts, state, updated_at)
SELECT 'seed:' || i, CASE WHEN i % ($LINES / 60) = 0 THEN 2 ELSE 1 END, CASE WHEN i % ($LINES / 60) = 0 THEN 2 ELSE 1 END,
    'partner', NULL, 'stripe:-:invoice:in_seed' || i || ':paid', 'recurring_share', 1, 1, 49900, 1000, 4990, 'USD',
    strftime('%Y-%m-%d %H:%M:%f', '2021-01-01', '+' || (i * (157766400 / $LINES)) || ' seconds'),
    strftime('%Y-%m-%d %H:%M:%f', '2021-01-31', '+' || (i * (157766400 / $LINES)) || ' seconds'),
    '', 0, NULL, CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'open' END, '2026-01-01 00:00:00.000'
FROM n;
ANALYZE;
SQL
echo "ledger: $(sqlite3 "$DATA/gateway.sqlite" 'SELECT COUNT(*) FROM accrual') accrual lines"
echo "query plan: $(sqlite3 "$DATA/gateway.sqlite" "EXPLAIN QUERY PLAN SELECT * FROM accrual WHERE partner_id = 1 AND earned_at >= '2025-06-01' AND earned_at < '2025-07-01'" | tr '\n' ' ')"

GATEWAY_ADMIN_TOKEN=bench $GW serve --port "$PORT" --data-dir "$DATA" --no-processing --log-level warning 2>"$DATA/server.log" &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

time_statement() {  # label, query
  local times
  times=$(for _ in $(seq 1 "$REQUESTS"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer bench" "http://127.0.0.1:$PORT/admin/partners/$2"
  done | sort -n)
  local lines
  lines=$(curl -s -H "Authorization: Bearer bench" "http://127.0.0.1:$PORT/admin/partners/$2" | grep -o "recurring_share" | wc -l)
  echo "$1: median $(echo "$times" | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] * 1000}') ms, worst $(echo "$times" | tail -1 | awk '{printf "%.1f", $1 * 1000}') ms over $REQUESTS requests ($lines lines in the statement)"
}
time_statement "Acme, June 2025 (JSON)" "1/statement?from=2025-06-01&to=2025-06-30"
time_statement "Acme, June 2025 (CSV)" "1/statement?from=2025-06-01&to=2025-06-30&format=csv"
time_statement "Small Partner, 2025 (JSON)" "2/statement?from=2025-01-01&to=2025-12-31"
