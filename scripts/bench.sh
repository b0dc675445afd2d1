#!/usr/bin/env bash
# Runs the yardstick (direct Redis, twemproxy and jupiter side by side) against the built jupiter.
# Needs redis-server, redis-tools and nutcracker (apt-get install -y redis-server redis-tools nutcracker).
set -euo pipefail
cd "$(dirname "$0")/.."
yardstick=${YARDSTICK:-../shared/bench/yardstick.sh}
[ -f "$yardstick" ] || { echo "bench: $yardstick not found (set YARDSTICK=path/to/yardstick.sh)" >&2; exit 1; }
export CANDIDATE_CMD=${CANDIDATE_CMD:-"node $PWD/dist/cli/main.js --port 6380 --nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --log-level warn"}
exec bash "$yardstick" "$@"
