#!/usr/bin/env bash
# PostgreSQL against SQLite in one run (BENCHMARKS.md, "PostgreSQL against SQLite"):
#  1. ingest from wrk (--no-processing) into SQLite (one `serve`), PostgreSQL (one `serve`), and
#     PostgreSQL with two `serve` instances on one schema (two wrk processes in parallel, one per
#     instance, half the connections each, their rates summed): deliveries/s, p99, non-2xx, every
#     2xx stored; each as a ratio to SQLite's figure in this run;
#  2. processing: PROCESS deliveries (100 of 500 customers referred, as in scripts/benchmark.sh)
#     stored with --no-processing in each store, then `referral-gateway process` timed on each;
#  3. a partner statement over LINES accrual lines on each store (the ledger of
#     scripts/statement-benchmark.sh), JSON and CSV, median and worst of REQUESTS requests.
# PostgreSQL runs wherever GATEWAY_BENCH_POSTGRES_URL points; on one machine it shares the cores
# with the gateway instances and wrk, so on 2 cores two instances mostly compete for the same CPU.
# The script makes its own schemas (bench_<pid>_…) in that database and drops them at the end.
# Set-up: apt-get install -y wrk sqlite3 python3 time postgresql-client
# Usage: scripts/postgres-benchmark.sh   (GATEWAY_BENCH_POSTGRES_URL=postgres://gateway:gateway@127.0.0.1:5432/gateway_test
#        DURATION=20 CONNECTIONS=32 PROCESS=20000 LINES=100000 REQUESTS=25 PORT=18092 (and PORT+1);
#        GW=PATH uses that binary instead of building; KEEP_DATA=1 keeps the stores and the schemas)
set -eEuo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/common.sh
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
PROCESS=${PROCESS:-20000}
LINES=${LINES:-100000}
REQUESTS=${REQUESTS:-25}
PORT=${PORT:-18092}
# Deliveries written per second of DURATION: more than the gateway ingests, so wrk never runs out.
PER_SECOND=${PER_SECOND:-9000}
POSTGRES=${GATEWAY_BENCH_POSTGRES_URL:-postgres://gateway:gateway@127.0.0.1:5432/gateway_test}
export WRK_THREADS=2

for tool in wrk sqlite3 python3 psql /usr/bin/time; do
  command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y wrk sqlite3 python3 time postgresql-client)"; exit 1; }
done
case $POSTGRES in *schema=*) echo "GATEWAY_BENCH_POSTGRES_URL names a schema; leave it out: the benchmark makes its own"; exit 1 ;; esac
build_gateway
WORK=$(mktemp -d /tmp/gateway-pgbench.XXXXXX)
PREFIX=bench_$$
SERVERS=()
SCHEMAS=()

# psql in schema $1 (public for none); the password stays in the URL, out of every message.
sql() {
  local schema=$1; shift
  PGOPTIONS="-c search_path=$schema -c client_min_messages=warning" psql "$POSTGRES" -XAtq -v ON_ERROR_STOP=1 "$@"
}
# The gateway's URL for schema $1.
url() { case $POSTGRES in *\?*) echo "$POSTGRES&schema=$1" ;; *) echo "$POSTGRES?schema=$1" ;; esac; }
# A new, migrated schema named bench_<pid>_$1, in SCHEMA.
fresh_schema() {
  SCHEMA=${PREFIX}_$1
  sql public -c "CREATE SCHEMA $SCHEMA"
  SCHEMAS+=("$SCHEMA")
  $GW migrate --database "$(url "$SCHEMA")" >/dev/null 2>>"$WORK/cli.log"
}
pg_stored() { sql "$1" -c "SELECT COUNT(*) FROM delivery WHERE source = 'stripe'"; }
serve_on() { start_server "$@"; SERVERS+=("$SERVER_PID"); }
stop_servers() {
  local pid
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  SERVERS=()
}
cleanup() {
  stop_servers
  if [ -n "${KEEP_DATA:-}" ]; then
    echo "data kept in $WORK; schemas kept: ${SCHEMAS[*]}"
  else
    for schema in "${SCHEMAS[@]}"; do sql public -c "DROP SCHEMA $schema CASCADE" || true; done
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'echo "failed (line $LINENO): $BASH_COMMAND"; [ ! -s "$WORK/cli.log" ] || tail -3 "$WORK/cli.log"' ERR
trap 'exit 130' INT TERM
ratio() { awk "BEGIN {if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"-\"}"; }
lines_in() { wc -l <"$1"; }

where=$(echo "$POSTGRES" | sed -E 's#^postgres(ql)?://([^@/]*@)?##; s#\?.*##')
sql public -c "SELECT 1" >/dev/null || { echo "cannot reach PostgreSQL at $where (GATEWAY_BENCH_POSTGRES_URL)"; exit 1; }
machine
echo "postgresql: $(sql public -c 'SHOW server_version') at $where; shared_buffers $(sql public -c 'SHOW shared_buffers'), synchronous_commit $(sql public -c 'SHOW synchronous_commit'), max_connections $(sql public -c 'SHOW max_connections')"
case $where in
  127.0.0.1* | localhost* | \[::1\]*) echo "PostgreSQL, every gateway instance and wrk share this machine's $(nproc) cores: on 2 cores, two instances add no CPU, only contention." ;;
esac

# 1. Ingest.
echo
echo "1. Ingest: wrk, $CONNECTIONS connections in all, $WRK_THREADS threads in all, ${DURATION} s, distinct signed Stripe invoice.paid deliveries, --no-processing"
echo "| store | deliveries/s | ratio to SQLite | p99 ms | ratio to SQLite | non-2xx | 2xx | stored | acknowledged, not stored |"
echo "|---|---|---|---|---|---|---|---|---|"
base_rps=
base_p99=
ingest_row() {  # label, rps, 2xx, other, p99, stored, deliveries offered
  base_rps=${base_rps:-$2}; base_p99=${base_p99:-$5}
  echo "| $1 | $2 | $(ratio "$2" "$base_rps") | $5 | $(ratio "$5" "$base_p99") | $4 | $3 | $6 | $(($3 > $6 ? $3 - $6 : 0)) |"
  [ $(($3 + $4)) -lt "$7" ] || echo "(wrk sent every one of the $7 deliveries and then only /healthz: raise PER_SECOND)"
}

SQLITE_INGEST=$WORK/ingest; mkdir -p "$SQLITE_INGEST"
python3 scripts/bench/signed_requests.py "$WORK/ingest.txt" $((DURATION * PER_SECOND)) --run sqlite
serve_on "$PORT" --data-dir "$SQLITE_INGEST"
read -r rps ok other p99 <<<"$(send "$WORK/ingest.txt" "$CONNECTIONS" "$DURATION")"
stop_servers
sqlite_rps=$rps
ingest_row "SQLite, 1 instance" "$rps" "$ok" "$other" "$p99" "$(stored "$SQLITE_INGEST")" "$(lines_in "$WORK/ingest.txt")"

fresh_schema ingest1
python3 scripts/bench/signed_requests.py "$WORK/ingest.txt" $((DURATION * PER_SECOND)) --run postgres1
serve_on "$PORT" --database "$(url "$SCHEMA")"
read -r rps ok other p99 <<<"$(send "$WORK/ingest.txt" "$CONNECTIONS" "$DURATION")"
stop_servers
postgres_rps=$rps
ingest_row "PostgreSQL, 1 instance" "$rps" "$ok" "$other" "$p99" "$(pg_stored "$SCHEMA")" "$(lines_in "$WORK/ingest.txt")"

# Two instances on one schema, each loaded by its own wrk (one thread, half the connections)
# with its own deliveries, at the same time.
fresh_schema ingest2
half=$((CONNECTIONS / 2))
python3 scripts/bench/signed_requests.py "$WORK/first.txt" $((DURATION * PER_SECOND / 2)) --run postgres2a
python3 scripts/bench/signed_requests.py "$WORK/second.txt" $((DURATION * PER_SECOND / 2)) --run postgres2b
serve_on "$PORT" --database "$(url "$SCHEMA")"
serve_on $((PORT + 1)) --database "$(url "$SCHEMA")"
WRK_THREADS=1 send "$WORK/first.txt" "$half" "$DURATION" "$PORT" >"$WORK/first.out" &
first=$!
WRK_THREADS=1 send "$WORK/second.txt" $((CONNECTIONS - half)) "$DURATION" $((PORT + 1)) >"$WORK/second.out" &
second=$!
wait $first $second
stop_servers
read -r rps1 ok1 other1 p991 <"$WORK/first.out"
read -r rps2 ok2 other2 p992 <"$WORK/second.out"
echo "(two instances: $rps1 + $rps2 deliveries/s; p99 $p991 and $p992 ms, the worse shown)"
ingest_row "PostgreSQL, 2 instances" $((rps1 + rps2)) $((ok1 + ok2)) $((other1 + other2)) "$(awk "BEGIN {print ($p991 > $p992) ? $p991 : $p992}")" \
  "$(pg_stored "$SCHEMA")" $(($(lines_in "$WORK/first.txt") + $(lines_in "$WORK/second.txt")))

# 2. Processing: the same deliveries stored in each store, then `process` timed on each.
echo
echo "2. Processing: $PROCESS distinct invoices (500 customers, 100 referred on one 10 % plan), stored with --no-processing, then \`referral-gateway process\`"
SQLITE_PROCESS=$WORK/process; mkdir -p "$SQLITE_PROCESS"
program --data-dir "$SQLITE_PROCESS" 2>>"$WORK/cli.log"
fresh_schema process
PROCESS_SCHEMA=$SCHEMA
program --database "$(url "$PROCESS_SCHEMA")" 2>>"$WORK/cli.log"
python3 scripts/bench/signed_requests.py "$WORK/process.txt" "$PROCESS" --run process
# wrk runs for its whole duration: long enough for this many at the rate part 1 measured, and a margin.
load() {  # rate measured in part 1, store options...
  local rate=$1; shift
  serve_on "$PORT" "$@"
  send "$WORK/process.txt" "$CONNECTIONS" "$(awk "BEGIN {printf \"%d\", $PROCESS / ($rate + 1) * 1.5 + 3}")" >/dev/null
  stop_servers
}
load "$sqlite_rps" --data-dir "$SQLITE_PROCESS"
load "$postgres_rps" --database "$(url "$PROCESS_SCHEMA")"
echo "| store | stored | processed | process took | deliveries/s | ratio to SQLite | peak RSS of process |"
echo "|---|---|---|---|---|---|---|"
sqlite_rate=
process_row() {  # label, stored, processed, start, end
  local rate
  rate=$(awk "BEGIN {printf \"%.0f\", $2 / ($5 - $4)}")
  sqlite_rate=${sqlite_rate:-$rate}
  echo "| $1 | $2 | $3 | $(seconds "$4" "$5") s | $rate | $(ratio "$rate" "$sqlite_rate") | $(($(cat "$WORK/rss.txt") / 1024)) MB |"
}
count=$(stored "$SQLITE_PROCESS")
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$WORK/rss.txt" $GW process --data-dir "$SQLITE_PROCESS" >/dev/null 2>>"$WORK/cli.log"
end=$(date +%s.%N)
process_row SQLite "$count" "$(sqlite3 "$SQLITE_PROCESS/gateway.sqlite" "SELECT COUNT(*) FROM delivery WHERE status = 'processed'")" "$start" "$end"
count=$(pg_stored "$PROCESS_SCHEMA")
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$WORK/rss.txt" $GW process --database "$(url "$PROCESS_SCHEMA")" >/dev/null 2>>"$WORK/cli.log"
end=$(date +%s.%N)
process_row PostgreSQL "$count" "$(sql "$PROCESS_SCHEMA" -c "SELECT COUNT(*) FROM delivery WHERE status = 'processed'")" "$start" "$end"
ledger="SELECT COUNT(*) || ' lines, ' || COALESCE(SUM(amount_minor), 0) || ' minor units' FROM accrual"
sqlite_ledger=$(sqlite3 "$SQLITE_PROCESS/gateway.sqlite" "$ledger")
postgres_ledger=$(sql "$PROCESS_SCHEMA" -c "$ledger")
echo "ledger: SQLite $sqlite_ledger, PostgreSQL $postgres_ledger$([ "$sqlite_ledger" = "$postgres_ledger" ] && echo " (the same)" || echo " (DIFFERENT)")"
sqlite_count=$(stored "$SQLITE_PROCESS")
[ "$count" -ge "$sqlite_count" ] || echo "(PostgreSQL stored $count deliveries in the time allowed, SQLite $sqlite_count; each rate is over its own)"
echo "(of the $PROCESS written; wrk drops a request it generated when it reconnects a connection, so a store usually holds one fewer)"

# 3. A partner statement over LINES accrual lines: scripts/statement-benchmark.sh's ledger on each store.
echo
echo "3. Partner statement over $LINES accrual lines (curl over loopback, $REQUESTS requests each)"
SQLITE_STATEMENT=$WORK/statement; mkdir -p "$SQLITE_STATEMENT"
statement_program --data-dir "$SQLITE_STATEMENT" 2>>"$WORK/cli.log"
statement_ledger_sqlite "$SQLITE_STATEMENT" "$LINES"
fresh_schema statement
STATEMENT_SCHEMA=$SCHEMA
statement_program --database "$(url "$STATEMENT_SCHEMA")" 2>>"$WORK/cli.log"
# The lines statement_ledger_sqlite writes, in PostgreSQL's types. The balance trigger follows them;
# written in transactions of 1,000 lines, as one transaction its cost grows with the square of the
# lines (each line updates the same accrual_total row, whose versions pile up until the commit).
for ((from = 1; from <= LINES; from += 1000)); do
  cat <<SQL
INSERT INTO accrual (accrual_key, partner_id, referral_id, beneficiary, delivery_id, business_key, rule, plan_id, plan_version,
    basis_minor, rate_bps, amount_minor, currency, earned_at, hold_until, note, needs_approval, adjusts, state, updated_at)
SELECT 'seed:' || i, CASE WHEN i % ($LINES / 60) = 0 THEN 2 ELSE 1 END, CASE WHEN i % ($LINES / 60) = 0 THEN 2 ELSE 1 END,
    'partner', NULL, 'stripe:-:invoice:in_seed' || i || ':paid', 'recurring_share', 1, 1, 49900, 1000, 4990, 'USD',
    TIMESTAMPTZ '2021-01-01 00:00:00+00' + i * (157766400 / $LINES) * INTERVAL '1 second',
    TIMESTAMPTZ '2021-01-31 00:00:00+00' + i * (157766400 / $LINES) * INTERVAL '1 second',
    '', FALSE, NULL, CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'open' END, TIMESTAMPTZ '2026-01-01 00:00:00+00'
FROM generate_series($from, LEAST($((from + 999)), $LINES)) AS i;
SQL
done | sql "$STATEMENT_SCHEMA"
sql "$STATEMENT_SCHEMA" -c "ANALYZE accrual"
totals="SELECT partner_id || ' ' || currency || ' ' || bucket || ' ' || total_minor || ' ' || lines FROM accrual_total WHERE lines <> 0 ORDER BY partner_id, currency, bucket"
[ "$(sqlite3 "$SQLITE_STATEMENT/gateway.sqlite" "$totals")" = "$(sql "$STATEMENT_SCHEMA" -c "$totals")" ] && same="the same" || same="DIFFERENT"
echo "ledger: SQLite $(sqlite3 "$SQLITE_STATEMENT/gateway.sqlite" 'SELECT COUNT(*) FROM accrual'), PostgreSQL $(sql "$STATEMENT_SCHEMA" -c 'SELECT COUNT(*) FROM accrual') accrual lines; balance totals by partner and bucket: $same"
echo "PostgreSQL query plan: $(sql "$STATEMENT_SCHEMA" -c "EXPLAIN (COSTS OFF) SELECT * FROM accrual WHERE partner_id = 1 AND earned_at >= '2025-06-01' AND earned_at < '2025-07-01'" | tr -s ' \n' ' ')"
STATEMENTS=("Acme, June 2025, JSON|1/statement?from=2025-06-01&to=2025-06-30"
  "Acme, June 2025, CSV|1/statement?from=2025-06-01&to=2025-06-30&format=csv"
  "Small Partner, all of 2025, JSON|2/statement?from=2025-01-01&to=2025-12-31")
measure_statements() {  # name, store options...: one line per statement in $WORK/statements-NAME.txt
  local name=$1 entry; shift
  GATEWAY_ADMIN_TOKEN=bench serve_on "$PORT" "$@"
  curl -s -H "Authorization: Bearer bench" "http://127.0.0.1:$PORT/admin/partners/1/statement?from=2025-06-01&to=2025-06-30&format=csv" >"$WORK/statement-$name.csv"
  for entry in "${STATEMENTS[@]}"; do statement_times "$PORT" "${entry#*|}"; done >"$WORK/statements-$name.txt"
  stop_servers
}
measure_statements sqlite --data-dir "$SQLITE_STATEMENT"
measure_statements postgres --database "$(url "$STATEMENT_SCHEMA")"
cmp -s "$WORK/statement-sqlite.csv" "$WORK/statement-postgres.csv" && same="the same" || same="DIFFERENT"
echo "Acme's June CSV statement from the two stores: $same ($(wc -c <"$WORK/statement-sqlite.csv") bytes)"
echo "| statement | lines in it | SQLite median | SQLite worst | PostgreSQL median | PostgreSQL worst | ratio of medians |"
echo "|---|---|---|---|---|---|---|"
for i in "${!STATEMENTS[@]}"; do
  read -r sqlite_median sqlite_worst lines < <(sed -n "$((i + 1))p" "$WORK/statements-sqlite.txt")
  read -r postgres_median postgres_worst postgres_lines < <(sed -n "$((i + 1))p" "$WORK/statements-postgres.txt")
  [ "$lines" = "$postgres_lines" ] || lines="$lines (PostgreSQL: $postgres_lines)"
  echo "| ${STATEMENTS[$i]%%|*} | $lines | $sqlite_median ms | $sqlite_worst ms | $postgres_median ms | $postgres_worst ms | $(ratio "$postgres_median" "$sqlite_median") |"
done
