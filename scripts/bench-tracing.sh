#!/usr/bin/env bash
# What tracing costs: redis-benchmark (SET/GET at -P 1 and -P 16, MGET of 10 keys) against the built
# jupiter with tracing off, on but sampling nothing, and at a few ratios, in interleaved rounds.
# Spans go over OTLP/HTTP to a local sink that answers 200 and drops them (a collector's place).
#   npm run build && bash scripts/bench-tracing.sh          # ROUNDS=3 N=200000 by default
# Needs redis-server and redis-benchmark. Prints requests/s and jupiter's CPU time per request (medians
# of rounds; CPU time is the steadier measure on a shared machine), each with its ratio to "off".
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}; N=${N:-200000}; CLIENTS=${CLIENTS:-50}
NODE_PORTS=(${NODE_PORTS:-7201 7202 7203}); PROXY_PORT=${PROXY_PORT:-6390}; SINK_PORT=${SINK_PORT:-4390}
CONFIGS=(${CONFIGS:-off ratio0 ratio0.001 ratio0.01})
TMP=$(mktemp -d /tmp/bench-tracing.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
open_port() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 100); do open_port "$1" && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }
for p in "${NODE_PORTS[@]}" "$PROXY_PORT" "$SINK_PORT"; do
  if open_port "$p"; then echo "bench-tracing: port $p is in use (another run?); stop it or set NODE_PORTS/PROXY_PORT/SINK_PORT" >&2; exit 1; fi
done

for p in "${NODE_PORTS[@]}"; do
  redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
  PIDS+=($!); wait_port "$p"
done
node -e "require('http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('{}')); }).listen($SINK_PORT, '127.0.0.1')" &
PIDS+=($!); wait_port "$SINK_PORT"
NODES=$(printf '127.0.0.1:%s,' "${NODE_PORTS[@]}"); NODES=${NODES%,}

source scripts/bench-common.sh
bench() { # pid label redis-benchmark-args... -> "label,rps,CPU microseconds of jupiter per request"
  local pid=$1 label=$2 u0 s0 u1 s1 rps; shift 2
  read -r u0 s0 < <(cpu_ticks "$pid")
  rps=$(redis-benchmark -p "$PROXY_PORT" -c "$CLIENTS" -n "$N" -r 100000 --csv "$@" | awk -F'"' 'NR == 2 { print $4 }')
  read -r u1 s1 < <(cpu_ticks "$pid")
  echo "$label,$rps,$(awk -v t=$((u1 + s1 - u0 - s0)) -v hz="$CLK_TCK" -v n="$N" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')"
}

run_config() { # config -> lines "config,test,rps,cpu"
  local config=$1 env=(JUPITER_TRACING_ENDPOINT="http://127.0.0.1:$SINK_PORT/v1/traces")
  case $config in
    off) env+=(JUPITER_TRACING_ENABLED=false) ;;
    ratio*) env+=(JUPITER_TRACING_SAMPLE_RATIO="${config#ratio}") ;;
  esac
  env "${env[@]}" node dist/cli/main.js --port "$PROXY_PORT" --nodes "$NODES" --log-level warn &
  local pid=$!; wait_port "$PROXY_PORT"; kill -0 "$pid" || { echo "bench-tracing: jupiter did not start" >&2; exit 1; }
  bench "$pid" warmup -d 64 -t get -P 16 >/dev/null # JIT warm-up, not measured
  { bench "$pid" "SET P1" -d 64 -t set -P 1
    bench "$pid" "GET P1" -d 64 -t get -P 1
    bench "$pid" "SET P16" -d 64 -t set -P 16
    bench "$pid" "GET P16" -d 64 -t get -P 16
    bench "$pid" "MGET10 P1" -P 1 $MGET10
  } | sed "s/^/$config,/"
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
}

for round in $(seq "$ROUNDS"); do
  for config in "${CONFIGS[@]}"; do run_config "$config"; done
done > "$TMP/raw.csv"

node - "$TMP/raw.csv" "${CONFIGS[@]}" <<'JS'
// Two tables: throughput, and jupiter's CPU time per request (the steadier measure of cost on a
// shared machine); each with the ratio to the first configuration.
const [file, ...configs] = process.argv.slice(2);
const rows = require('fs').readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(','));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const tests = [...new Set(rows.map((r) => r[1]))];
const of = (c, t, col) => median(rows.filter((r) => r[0] === c && r[1] === t).map((r) => Number(r[col])));
for (const [title, col, digits] of [['requests/s (median)', 2, 0], ['jupiter CPU us per request (median)', 3, 2]]) {
  console.log(`\n${title}\n\n| test | ${configs.join(' | ')} |\n|---|${configs.map(() => '---').join('|')}|`);
  for (const t of tests) {
    const base = of(configs[0], t, col);
    const cell = (c) => { const v = of(c, t, col); return c === configs[0] ? v.toFixed(digits) : `${v.toFixed(digits)} (${(v / base).toFixed(2)})`; };
    console.log(`| ${t} | ${configs.map(cell).join(' | ')} |`);
  }
}
JS
