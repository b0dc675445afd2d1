#!/usr/bin/env bash
# CPU per request of twemproxy, the Node floor (scripts/bench-floor.mjs) and the built jupiter, in
# interleaved rounds: each process's user and system time (from /proc/<pid>/stat) over one
# redis-benchmark run, divided by the requests. Steadier than requests per second on a shared box,
# because it does not depend on how fast the load generator happened to run.
#   npm run build && bash scripts/bench-cpu.sh            # GET, SET at -P 1 and -P 16, MGET10 and MSET10 at -P 1; 3 rounds
#   ROUNDS=5 TESTS=set PIPELINES="1" bash scripts/bench-cpu.sh
# TESTS: get, set (redis-benchmark -t) and mget10, mset10 (one MGET/MSET of 10 random keys, as the
# yardstick sends them). The floor splits an MGET/MSET by node and merges the replies, as jupiter and
# twemproxy do, so the three do the same work on every line.
# Needs redis-server, redis-benchmark and nutcracker. Uses ports 7101-7103, 22199, 6390 and 6391.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
N=${N:-200000}
TESTS=${TESTS:-get set mget10 mset10}
PIPELINES=${PIPELINES:-1 16}
# Multi-key tests run at these pipelines (the yardstick's MGET10 and MSET10 are at -P 1).
MULTI_PIPELINES=${MULTI_PIPELINES:-1}
source scripts/bench-common.sh
NODE_PORTS=(7101 7102 7103)
TW_PORT=22199
JUPITER_PORT=6390
FLOOR_PORT=6391

for port in "${NODE_PORTS[@]}" $TW_PORT $JUPITER_PORT $FLOOR_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "bench-cpu: port $port is taken" >&2; exit 1; fi
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_ping() {
  for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "bench-cpu: nothing answers PING on port $1" >&2
  exit 1
}

for port in "${NODE_PORTS[@]}"; do
  redis-server --port "$port" --save '' --appendonly no --daemonize no >"$work/redis-$port.log" 2>&1 &
  pids+=($!)
done
for port in "${NODE_PORTS[@]}"; do wait_ping "$port"; done

cat >"$work/nutcracker.yml" <<EOF
jupiter_bench:
  listen: 127.0.0.1:$TW_PORT
  hash: fnv1a_64
  distribution: ketama
  redis: true
  preconnect: true
  server_connections: 1
  hash_tag: "{}"
  servers:
$(for port in "${NODE_PORTS[@]}"; do echo "   - 127.0.0.1:$port:1 n$port"; done)
EOF
nutcracker -c "$work/nutcracker.yml" >"$work/nutcracker.log" 2>&1 &
tw_pid=$!
pids+=($tw_pid)
node scripts/bench-floor.mjs $FLOOR_PORT "${NODE_PORTS[@]}" &
floor_pid=$!
pids+=($floor_pid)
node dist/cli/main.js --port $JUPITER_PORT --nodes "$(printf '127.0.0.1:%s,' "${NODE_PORTS[@]}" | sed 's/,$//')" --log-level error &
jupiter_pid=$!
pids+=($jupiter_pid)
for port in $TW_PORT $FLOOR_PORT $JUPITER_PORT; do wait_ping "$port"; done

# One run: prints "rps p99 user_us sys_us" per request for the process behind the port.
measure() {
  local pid=$1 port=$2 test=$3 pipeline=$4
  local line args u0 s0 u1 s1
  read -ra args <<<"$(bench_args "$test")"
  read -r u0 s0 < <(cpu_ticks "$pid")
  line=$(redis-benchmark -p "$port" -c 50 -n "$N" -r 100000 -d 64 -P "$pipeline" --csv "${args[@]}" 2>/dev/null | tail -1)
  read -r u1 s1 < <(cpu_ticks "$pid")
  echo "$line" | awk -F'"' -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$CLK_TCK" -v n="$N" \
    '{printf "%.0f %s %.2f %.2f\n", $4, $14, u / t * 1e6 / n, s / t * 1e6 / n}'
}

echo "| round | test | target | rps | p99 ms | user µs/req | sys µs/req |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  for test in $TESTS; do
    pipelines=$PIPELINES
    case $test in mget10 | mset10) pipelines=$MULTI_PIPELINES ;; esac
    for pipeline in $pipelines; do
      for target in "twemproxy $tw_pid $TW_PORT" "floor $floor_pid $FLOOR_PORT" "jupiter $jupiter_pid $JUPITER_PORT"; do
        set -- $target
        read -r rps p99 user sys < <(measure "$2" "$3" "$test" "$pipeline")
        echo "| $round | $test P$pipeline | $1 | $rps | $p99 | $user | $sys |" | tee -a "$work/rounds.md"
      done
    done
  done
done

# Medians over the rounds, and jupiter's ratios to the floor and to twemproxy.
echo
python3 - "$work/rounds.md" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    c = [x.strip() for x in line.strip().strip('|').split('|')]
    rows[(c[1], c[2])].append((float(c[3]), float(c[4]), float(c[5]) + float(c[6])))
print('| test | twemproxy rps / p99 ms / CPU µs | floor rps / p99 ms / CPU µs | jupiter rps / p99 ms / CPU µs | jupiter / floor: rps, p99, CPU | jupiter / twemproxy: rps, p99, CPU |')
print('|---|---|---|---|---|---|')
for test in dict.fromkeys(t for t, _ in rows):
    m = {who: [statistics.median(r[i] for r in rows[(test, who)]) for i in range(3)] for who in ('twemproxy', 'floor', 'jupiter')}
    cell = lambda v: f'{v[0] / 1000:.1f}k / {v[1]:.2f} / {v[2]:.2f}'
    ratio = lambda a, b: ', '.join(f'{a[i] / b[i]:.2f}x' for i in range(3))
    j = m['jupiter']
    print(f"| {test.upper()} | {cell(m['twemproxy'])} | {cell(m['floor'])} | {cell(j)} | {ratio(j, m['floor'])} | {ratio(j, m['twemproxy'])} |")
PY
