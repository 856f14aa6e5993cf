#!/usr/bin/env bash
# The end-to-end benchmark of BENCHMARKS.md, load from wrk:
#  1. ingest against the same binary's bare baseline (POST /bench/baseline), every 2xx stored;
#  2. valid ingest alone and under a flood of wrongly signed deliveries, with the refusal pause and without;
#  3. processing in rounds of ROUND distinct invoices (500 customers, 100 referred on one 10 % plan):
#     each round stored with --no-processing, then `process` timed, through ROUNDS rounds;
#  4. a full ledger rebuild of that store; peak memory of the server and of processing.
# Set-up: apt-get install -y wrk sqlite3 python3 time
# Usage: scripts/benchmark.sh   (DURATION=20 CONNECTIONS=32 ROUND=20000 ROUNDS=5 PORT=18090; KEEP_DATA=1 keeps the stores; GW=PATH uses that binary instead of building)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/common.sh
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
ROUND=${ROUND:-20000}
ROUNDS=${ROUNDS:-5}
PORT=${PORT:-18090}
export WRK_THREADS=2

for tool in wrk sqlite3 python3; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y wrk sqlite3 python3)"; exit 1; }; done
build_gateway
WORK=$(mktemp -d /tmp/gateway-bench.XXXXXX)
PID=
trap 'kill $PID 2>/dev/null || true; if [ -n "${KEEP_DATA:-}" ]; then echo "data kept in $WORK"; else rm -rf "$WORK"; fi' EXIT

serve() { start_server "$PORT" --data-dir "$1"; PID=$SERVER_PID; }
stop() { kill $PID; wait $PID 2>/dev/null || true; PID=; }

machine

# 1. Ingest against the baseline.
INGEST=$WORK/ingest; mkdir -p "$INGEST"; program --data-dir "$INGEST"; serve "$INGEST"
wrk -t$WRK_THREADS -c"$CONNECTIONS" -d"${DURATION}"s --latency -s scripts/bench/baseline.lua "http://127.0.0.1:$PORT/bench/baseline" > "$WORK/baseline.txt"
base=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/baseline.txt")
base_p99=$(sed -nE 's/^latency .*p99_ms=([0-9.]+).*/\1/p' "$WORK/baseline.txt")
python3 scripts/bench/signed_requests.py "$WORK/ingest.txt" $((DURATION * 9000)) --run ingest
read -r rps ok other p99 <<<"$(send "$WORK/ingest.txt" "$CONNECTIONS" "$DURATION")"
echo "baseline: $base requests/s, p99 $base_p99 ms"
kept=$(stored "$INGEST")
echo "ingest: $rps deliveries/s, p99 $p99 ms, 2xx $ok, other $other; stored $kept, acknowledged but not stored $((ok > kept ? ok - kept : 0)); ratio to baseline $(awk "BEGIN {printf \"%.2f\", $rps / $base}")"
echo "server peak RSS after ingest: $(($(awk '/VmHWM/ {print $2}' /proc/$PID/status) / 1024)) MB"

# 2. Valid ingest alone, then beside a flood of wrongly signed deliveries: with the default
#    refusal pause (200 ms), and again with none (GATEWAY_REFUSAL_PAUSE_MS=0) to show what it buys.
half=$((CONNECTIONS / 2))
python3 scripts/bench/signed_requests.py "$WORK/bad.txt" 20000 --run bad --bad
flood() {
  python3 scripts/bench/signed_requests.py "$WORK/alone.txt" $((DURATION * 7000)) --run "alone$1"
  python3 scripts/bench/signed_requests.py "$WORK/valid.txt" $((DURATION * 7000)) --run "valid$1"
  read -r alone _ _ _ <<<"$(send "$WORK/alone.txt" "$half" "$DURATION")"
  CYCLE=1 DELIVERIES=$WORK/bad.txt wrk -t$WRK_THREADS -c"$half" -d"${DURATION}"s -s scripts/bench/deliveries.lua "http://127.0.0.1:$PORT" > "$WORK/flood.txt" &
  FLOOD=$!
  read -r flooded _ _ _ <<<"$(send "$WORK/valid.txt" "$half" "$DURATION")"
  wait $FLOOD
  refused=$(awk '$1 == "status" && $2 == 401 {n += $3} END {print n + 0}' "$WORK/flood.txt")
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && up=yes || up=no
  echo "refusal pause $1 ms: valid ingest alone: $alone/s; beside $refused refusals ($(awk "BEGIN {printf \"%.0f\", $refused / $DURATION}")/s): $flooded/s, ratio $(awk "BEGIN {printf \"%.2f\", $flooded / $alone}"); server up: $up"
}
flood 200
echo "refusals counted: $(sqlite3 "$INGEST/gateway.sqlite" "SELECT COALESCE(SUM(count), 0) FROM rejection_tally"), rows kept: $(sqlite3 "$INGEST/gateway.sqlite" "SELECT COUNT(*) FROM rejection")"
stop
PAUSE=0 serve "$INGEST"
flood 0
stop

# 3. Processing in rounds.
ROUNDS_DIR=$WORK/rounds; mkdir -p "$ROUNDS_DIR"; program --data-dir "$ROUNDS_DIR"
echo "| round | stored | processed this round | deliveries/s | ratio to round 1 | peak RSS |"
echo "|---|---|---|---|---|---|"
first=
for round in $(seq 1 "$ROUNDS"); do
  python3 scripts/bench/signed_requests.py "$WORK/round.txt" "$ROUND" --run "round$round"
  serve "$ROUNDS_DIR"; send "$WORK/round.txt" "$CONNECTIONS" $((ROUND / 1500 + 5)) >/dev/null; stop
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$WORK/rss.txt" $GW process --data-dir "$ROUNDS_DIR" >/dev/null
  end=$(date +%s.%N)
  rate=$(awk "BEGIN {printf \"%.0f\", $ROUND / ($end - $start)}")
  first=${first:-$rate}
  echo "| $round | $(stored "$ROUNDS_DIR") | $(seconds "$start" "$end") s | $rate | $(awk "BEGIN {printf \"%.2f\", $rate / $first}") | $(($(cat "$WORK/rss.txt") / 1024)) MB |"
done
echo "accrual lines: $(sqlite3 "$ROUNDS_DIR/gateway.sqlite" "SELECT COUNT(*) FROM accrual")"

# 4. A full rebuild of that store.
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$WORK/rss.txt" $GW ledger rebuild --data-dir "$ROUNDS_DIR" >/dev/null
end=$(date +%s.%N)
echo "ledger rebuild over $(stored "$ROUNDS_DIR") deliveries: $(seconds "$start" "$end") s, peak RSS $(($(cat "$WORK/rss.txt") / 1024)) MB"
