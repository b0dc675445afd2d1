#!/usr/bin/env bash
# Requests per second of jupiter with --workers N, for N = 1 up to the machine's cores, beside one
# twemproxy on the same nodes, to check the many-core model in docs/benchmarks.md ("Many cores").
# Each N gets a fresh jupiter; twemproxy is measured in the same round, right before it.
#   npm run bench:scale                         # GET at -P 1 and -P 16, N = 1..nproc
#   MAX_WORKERS=8 CLIENTS=200 N=400000 npm run bench:scale
# On a machine with few cores the load generator and the nodes share them with the proxies, so the
# numbers there say little about scaling; the script has to run correctly everywhere.
# Needs redis-server, redis-benchmark and nutcracker. Uses ports 7201-7203, 22299 and 6392.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_WORKERS=${MAX_WORKERS:-$(nproc)}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-1 16}
NODE_PORTS=(7201 7202 7203)
TW_PORT=22299
JUPITER_PORT=6392

for port in "${NODE_PORTS[@]}" $TW_PORT $JUPITER_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "bench-scale: port $port is taken" >&2; exit 1; fi
done

work=$(mktemp -d)
pids=()
jupiter_pid=
cleanup() {
  [ -n "$jupiter_pid" ] && kill "$jupiter_pid" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_ping() {
  for _ in $(seq 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "bench-scale: nothing answers PING on port $1" >&2
  exit 1
}

for port in "${NODE_PORTS[@]}"; do
  redis-server --port "$port" --save '' --appendonly no --daemonize no >"$work/redis-$port.log" 2>&1 &
  pids+=($!)
done
for port in "${NODE_PORTS[@]}"; do wait_ping "$port"; done

cat >"$work/nutcracker.yml" <<EOF
jupiter_scale:
  listen: 127.0.0.1:$TW_PORT
  hash: fnv1a_64
  distribution: ketama
  redis: true
  preconnect: true
  server_connections: 1
  servers:
$(for port in "${NODE_PORTS[@]}"; do echo "   - 127.0.0.1:$port:1 n$port"; done)
EOF
nutcracker -c "$work/nutcracker.yml" >"$work/nutcracker.log" 2>&1 &
pids+=($!)
wait_ping $TW_PORT

rps() {
  redis-benchmark -p "$1" -c "$CLIENTS" -n "$N" -r 100000 -d 64 -t get -P "$2" --csv 2>/dev/null | awk -F'"' 'NR == 2 { printf "%.0f", $4 }'
}

nodes=$(printf '127.0.0.1:%s,' "${NODE_PORTS[@]}" | sed 's/,$//')
echo "cores: $(nproc), clients: $CLIENTS, requests per run: $N"
echo
echo "| workers | pipeline | twemproxy rps | jupiter rps | jupiter / twemproxy | jupiter / its N=1 |"
echo "|---|---|---|---|---|---|"
declare -A first
for workers in $(seq "$MAX_WORKERS"); do
  node dist/cli/main.js serve --port $JUPITER_PORT --nodes "$nodes" --workers "$workers" --log-level error >"$work/jupiter-$workers.log" 2>&1 &
  jupiter_pid=$!
  wait_ping $JUPITER_PORT
  # Every worker listening: with node:cluster the primary hands connections round-robin, so a
  # warm-up run of a few thousand requests reaches each of them.
  redis-benchmark -p $JUPITER_PORT -c "$CLIENTS" -n 20000 -t ping --csv >/dev/null 2>&1
  for pipeline in $PIPELINES; do
    tw=$(rps $TW_PORT "$pipeline")
    jr=$(rps $JUPITER_PORT "$pipeline")
    first[$pipeline]=${first[$pipeline]:-$jr}
    echo "| $workers | $pipeline | $tw | $jr | $(awk -v a="$jr" -v b="$tw" 'BEGIN { printf "%.2fx", a / b }') | $(awk -v a="$jr" -v b="${first[$pipeline]}" 'BEGIN { printf "%.2fx", a / b }') |"
  done
  kill "$jupiter_pid"
  wait "$jupiter_pid" 2>/dev/null || true
  jupiter_pid=
done
