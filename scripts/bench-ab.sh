#!/usr/bin/env bash
# A/B of two builds of jupiter over the same three redis-server nodes, in alternating rounds, so
# the machine's drift hits both alike: the build of git revision BASE against the working tree's.
# For "does this change slow down requests that do not use it", where two yardstick runs on
# different minutes differ by more than the change.
#   scripts/bench-ab.sh BASE [ROUNDS]        e.g. scripts/bench-ab.sh HEAD~3 4
#   TESTS='get 1,set 16' scripts/bench-ab.sh HEAD~3 6
# TESTS: redis-benchmark -t names, and mget10/mset10 (one MGET/MSET of 10 random keys, as the
# yardstick sends them). Needs redis-server and redis-benchmark. Prints one markdown table:
# requests per second by round and their medians, p99 medians, and the medians of each build's CPU
# time (user + system, from /proc/<pid>/stat) per request, steadier than requests per second.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: scripts/bench-ab.sh BASE [ROUNDS]}
rounds=${2:-4}
n=${N:-200000}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  git worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

git worktree add --detach "$work/base" "$base" >/dev/null 2>&1
ln -s "$PWD/node_modules" "$work/base/node_modules"
(cd "$work/base" && npx tsc -p tsconfig.build.json)
npx tsc -p tsconfig.build.json

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
nodes=()
for i in 1 2 3; do
  port=$(free_port)
  mkdir -p "$work/redis$i"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/redis$i" >/dev/null &
  pids+=($!)
  nodes+=("127.0.0.1:$port")
done
list=$(IFS=,; echo "${nodes[*]}")
port_a=$(free_port)
node "$work/base/dist/cli/main.js" --port "$port_a" --nodes "$list" --log-level error &
pid_a=$!
pids+=($pid_a)
port_b=$(free_port)
node dist/cli/main.js --port "$port_b" --nodes "$list" --log-level error &
pid_b=$!
pids+=($pid_b)
for p in "$port_a" "$port_b"; do
  until redis-cli -p "$p" PING >/dev/null 2>&1; do sleep 0.1; done
done

source scripts/bench-common.sh

# One redis-benchmark run against the jupiter with this pid: "rps p99 cpu_us_per_request".
run() {
  local port=$1 pid=$2 test=$3 pipeline=$4 u0 s0 u1 s1 line what
  read -ra what <<<"$(bench_args "$test")"
  read -r u0 s0 < <(cpu_ticks "$pid")
  line=$(redis-benchmark -p "$port" -n "$n" -c 50 -d 64 -r 100000 -P "$pipeline" --csv "${what[@]}" 2>/dev/null |
    awk -F'","' 'NR==2 { gsub(/"/, "", $2); gsub(/"/, "", $7); print $2, $7 }')
  read -r u1 s1 < <(cpu_ticks "$pid")
  echo "$line $(awk -v d=$((u1 + s1 - u0 - s0)) -v t="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.2f", d / t * 1e6 / n }')"
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "| test | $base rps by round | working tree rps by round | median $base / working tree | p99 ms median $base / working tree | CPU µs per request median $base / working tree |"
echo "|---|---|---|---|---|---|"
# TESTS: comma-separated "command pipeline" pairs.
IFS=, read -ra specs <<<"${TESTS:-get 1,set 1,get 16,set 16,mset 1}"
for spec in "${specs[@]}"; do
  read -r test pipeline <<<"$spec"
  a=()
  b=()
  for ((r = 0; r < rounds; r++)); do
    # Alternate which build goes first.
    if ((r % 2 == 0)); then a+=("$(run "$port_a" "$pid_a" "$test" "$pipeline")"); b+=("$(run "$port_b" "$pid_b" "$test" "$pipeline")")
    else b+=("$(run "$port_b" "$pid_b" "$test" "$pipeline")"); a+=("$(run "$port_a" "$pid_a" "$test" "$pipeline")"); fi
  done
  rps_a=$(printf '%s\n' "${a[@]}" | awk '{ printf "%.0f ", $1 }')
  rps_b=$(printf '%s\n' "${b[@]}" | awk '{ printf "%.0f ", $1 }')
  med_a=$(printf '%s\n' "${a[@]}" | awk '{ print $1 }' | median)
  med_b=$(printf '%s\n' "${b[@]}" | awk '{ print $1 }' | median)
  p99_a=$(printf '%s\n' "${a[@]}" | awk '{ print $2 }' | median)
  p99_b=$(printf '%s\n' "${b[@]}" | awk '{ print $2 }' | median)
  cpu_a=$(printf '%s\n' "${a[@]}" | awk '{ print $3 }' | median)
  cpu_b=$(printf '%s\n' "${b[@]}" | awk '{ print $3 }' | median)
  echo "| ${test^^} P$pipeline | $rps_a| $rps_b| $med_a / $med_b | $p99_a / $p99_b | $cpu_a / $cpu_b |"
done
