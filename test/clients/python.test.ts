// redis-py (Debian's python3-redis) against jupiter: the program test/clients/python/check_redis_py.py
// reports its checks; this test asserts every one, then looks at where the keys landed.
// /usr/bin/python3 on purpose: a pyenv python earlier on PATH does not see Debian's packages.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { locate } from '../helpers/placement.js';
import { checkFailure, debianVersion, runProgram, type ProgramRun } from '../helpers/checks.js';
import { CompatRecorder } from '../helpers/compat.js';

const PYTHON = '/usr/bin/python3';
const program = fileURLToPath(new URL('./python/check_redis_py.py', import.meta.url));

const CHECKS = [
  'PING hash=sample/hashkey answers PONG',
  'SET/GET with hash=somekey',
  'SET/GET without hash=',
  'MSET hash=somekey then SCAN 0 MATCH key* hash=somekey returns cursor 0 and the three keys',
  'pipeline(transaction=False) of 1,000 commands answers in order',
  'MGET across nodes returns values in request order, None for a missing key',
  'DEL and EXISTS across nodes answer summed counts',
  'scan_iter() over the whole cluster yields every key exactly once',
  'pipeline() (a MULTI/EXEC transaction) with hash tags runs atomically on one node',
  'transaction() with WATCH retries until no other client changed the key',
  'BLPOP waits for a push and returns it; with a timeout it returns None',
  'pubsub(): subscribe and psubscribe hear messages published by another client',
];

describe('redis-py (python3-redis) against jupiter over three nodes', () => {
  const recorder = new CompatRecorder('redis-py (Python)', debianVersion('python3-redis'), 5);
  let cluster: TestCluster;
  let directs: Redis[];
  let run: ProgramRun;

  before(async () => {
    cluster = await startCluster(3);
    directs = [0, 1, 2].map((i) => cluster.direct(i));
    run = await runProgram(PYTHON, [program, String(cluster.port)], { timeoutMs: 60_000 });
  });

  after(async () => {
    recorder.write();
    await cluster?.stop();
  });

  for (const check of CHECKS) {
    recorder.it(check, async () => {
      const failure = checkFailure(run, check);
      assert.equal(failure, null, failure ?? '');
    });
  }

  recorder.it('the program reports exactly these checks and exits 0', async () => {
    assert.deepEqual([...run.checks.keys()].sort(), [...CHECKS].sort());
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.info[0]?.client, 'redis-py');
  });

  recorder.it('the 2,000 scan_iter keys are spread over all three nodes, each on exactly one', async () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `scan:${i}`);
    const where = await locate(directs, keys);
    assert.ok(where.every((n) => n.length === 1));
    const perNode = [0, 1, 2].map((node) => where.filter((n) => n[0] === node).length);
    for (const count of perNode) assert.ok(count > 400, `uneven spread ${JSON.stringify(perNode)}`);
  });
});
