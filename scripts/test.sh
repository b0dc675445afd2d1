#!/usr/bin/env bash
# The whole suite: type check, unit tests, then the integration suite twice, with NodeActors on
# the main event loop and in a worker thread, so both placements stay correct; then the client
# compatibility tests once (real clients in Node, Go, Python, redis-cli, redis-benchmark, and the
# differential test against redis-server), whose results must match README.md's table
# (`npm run compat-table` rewrites it), so the README cannot drift from what was tested.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit
# The README's configuration reference must be what the schema says (npm run config-reference rewrites it).
node --import tsx scripts/config-reference.ts --check
# A file that runs past 10 minutes fails with its name (a hang must not eat the CI's whole time).
run() { node --import tsx --test --test-concurrency=1 --test-timeout=600000 "$@"; }
run test/unit/*/*.test.ts
# The packed package installed into an empty folder, with the examples run against it (once).
run test/package/*.test.ts
run test/integration/*.test.ts
JUPITER_TEST_NODE_ACTORS=worker run test/integration/*.test.ts
rm -rf test/clients/results
status=0
run test/clients/*.test.ts || status=$?
node --import tsx scripts/compat-table.ts --check || status=$((status == 0 ? 1 : status))
exit "$status"
