# Pieces the load benchmarks share (scripts/benchmark.sh, scripts/statement-benchmark.sh,
# scripts/postgres-benchmark.sh). Sourced, from the repository's root, after `set -euo pipefail`.
# They read GW (the binary), WORK (a scratch directory), PORT (the default port) and WRK_THREADS.
# Store options are `--data-dir DIR` (SQLite) or `--database URL` (PostgreSQL).

# The release binary: GW when it is set (nothing is built), else built here.
build_gateway() {
  if [ -z "${GW:-}" ]; then
    swift build -c release --product referral-gateway >/dev/null
    GW=.build/release/referral-gateway
  fi
}

machine() {
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); swift: $(swift --version 2>&1 | head -1)"
}

# A partner, a 10 % plan whose window never ends, and 100 referred clients (client0 … client99),
# in the store the options name.
program() {
  $GW partners add --name "Acme Accounting" --kind center_of_influence "$@" >/dev/null
  $GW plans add --name "10% of collected" --rate 10% --attribution-window-days 3650 "$@" >/dev/null
  for n in $(seq 0 99); do
    $GW referrals add --partner 1 --plan 1 --prospect "Client $n" --domain "client$n.example" --introduced 2024-12-01 "$@" >/dev/null
  done
}

# `serve` on port $1 over the store the other options name, storing without processing (PAUSE is
# the refusal pause, 200 ms by default); its pid in SERVER_PID once /healthz answers (at most 30 s).
start_server() {
  local port=$1; shift
  GATEWAY_STRIPE_SECRETS=whsec_benchmark GATEWAY_REFUSAL_PAUSE_MS=${PAUSE:-200} $GW serve --port "$port" "$@" --benchmark-endpoints --no-processing \
    --log-level error 2>>"$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return
    kill -0 $SERVER_PID 2>/dev/null || break
    sleep 0.1
  done
  kill $SERVER_PID 2>/dev/null || true
  echo "the server on port $port did not start (it exited, or /healthz did not answer within 30 s):"; tail -5 "$WORK/server.log"; exit 1
}

# wrk on the deliveries in $1 with $2 connections for at most $3 seconds, at port $4 (PORT by
# default); prints rps, the 2xx count, the other statuses' count and p99 (ms). wrk's own output
# stays in $WORK/wrk-PORT.txt.
send() {
  local port=${4:-$PORT}
  DELIVERIES=$1 wrk -t$WRK_THREADS -c"$2" -d"$3"s --latency -s scripts/bench/deliveries.lua "http://127.0.0.1:$port" > "$WORK/wrk-$port.txt" ||
    { echo "wrk failed on port $port:" >&2; tail -3 "$WORK/wrk-$port.txt" >&2; return 1; }
  local rps ok other p99
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/wrk-$port.txt")
  ok=$(awk '$1 == "status" && $2 >= 200 && $2 < 300 {n += $3} END {print n + 0}' "$WORK/wrk-$port.txt")
  other=$(awk '$1 == "status" && ($2 < 200 || $2 >= 300) {n += $3} END {print n + 0}' "$WORK/wrk-$port.txt")
  p99=$(sed -nE 's/^latency .*p99_ms=([0-9.]+).*/\1/p' "$WORK/wrk-$port.txt")
  echo "$rps $ok $other $p99"
}
stored() { sqlite3 "$1/gateway.sqlite" "SELECT COUNT(*) FROM delivery WHERE source = 'stripe'"; }
seconds() { awk "BEGIN {printf \"%.2f\", $2 - $1}"; }

# The statement benchmark's program: two partners, one 10 % plan, a referral each.
statement_program() {
  $GW partners add --name "Acme Accounting" --kind center_of_influence "$@" >/dev/null
  $GW partners add --name "Small Partner" --kind vcio "$@" >/dev/null
  $GW plans add --name "10% of collected" --rate 10% "$@" >/dev/null
  $GW referrals add --partner 1 --plan 1 --prospect "Bright Dental" --domain brightdental.example --introduced 2021-01-01 "$@" >/dev/null
  $GW referrals add --partner 2 --plan 1 --prospect "Clear Law" --domain clearlaw.example --introduced 2021-01-01 "$@" >/dev/null
}

# $2 accrual lines into the SQLite file of data directory $1, after statement_program: Acme holds
# all but 60 of them, one every 26 minutes (at 100,000 lines) over five years (2021-2025), so a
# month holds about 1,650 of them; Small Partner holds one line a month. A third are paid.
# scripts/postgres-benchmark.sh writes the same lines into PostgreSQL.
statement_ledger_sqlite() {
  sqlite3 "$1/gateway.sqlite" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO accrual (accrual_key, partner_id, referral_id, beneficiary, delivery_id, business_key, rule, plan_id, plan_version,
    basis_minor, rate_bps, amount_minor, currency, earned_at, hold_until, note, needs_approval, adjusts, state, updated_at)
SELECT 'seed:' || i, CASE WHEN i % ($2 / 60) = 0 THEN 2 ELSE 1 END, CASE WHEN i % ($2 / 60) = 0 THEN 2 ELSE 1 END,
    'partner', NULL, 'stripe:-:invoice:in_seed' || i || ':paid', 'recurring_share', 1, 1, 49900, 1000, 4990, 'USD',
    strftime('%Y-%m-%d %H:%M:%f', '2021-01-01', '+' || (i * (157766400 / $2)) || ' seconds'),
    strftime('%Y-%m-%d %H:%M:%f', '2021-01-31', '+' || (i * (157766400 / $2)) || ' seconds'),
    '', 0, NULL, CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'open' END, '2026-01-01 00:00:00.000'
FROM n;
ANALYZE;
SQL
}

# $REQUESTS requests for the admin route /admin/partners/$2 on port $1 (admin token "bench");
# prints the median and worst time in ms and the number of lines in the statement.
statement_times() {
  local times lines
  times=$(for _ in $(seq 1 "$REQUESTS"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer bench" "http://127.0.0.1:$1/admin/partners/$2"
  done | sort -n)
  lines=$(curl -s -H "Authorization: Bearer bench" "http://127.0.0.1:$1/admin/partners/$2" | grep -o "recurring_share" | wc -l)
  echo "$(echo "$times" | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] * 1000}') $(echo "$times" | tail -1 | awk '{printf "%.1f", $1 * 1000}') $lines"
}
