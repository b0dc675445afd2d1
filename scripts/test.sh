#!/usr/bin/env bash
# The whole suite: type check, unit tests, then the integration suite twice, with NodeActors on
# the main event loop and in a worker thread, so both placements stay correct.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit
run() { node --import tsx --test --test-concurrency=1 "$@"; }
run test/unit/*/*.test.ts
run test/integration/*.test.ts
JUPITER_TEST_NODE_ACTORS=worker run test/integration/*.test.ts
