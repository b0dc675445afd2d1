// Go clients built from Debian's packages in GOPATH mode (no module downloads): redigo, running the
// seed's Pool snippet, and go-redis v5. Each program (test/clients/go/*) reports its checks; this
// test asserts every one and then looks at where the keys landed, node by node.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { locate } from '../helpers/placement.js';
import { checkFailure, debianVersion, runProgram, type ProgramRun } from '../helpers/checks.js';
import { CompatRecorder } from '../helpers/compat.js';

const exec = promisify(execFile);
const sourceDir = (name: string): string => fileURLToPath(new URL(`./go/${name}/`, import.meta.url));

const COMMON_CHECKS = [
  'SET/GET with hash=somekey',
  'SET/GET without hash=',
  'MSET hash=somekey then SCAN 0 MATCH key* hash=somekey returns cursor 0 and the three keys',
  'MGET across nodes returns values in request order, nil for a missing key',
  'DEL across nodes answers the number of keys removed',
  '64 goroutines sharing the pool: INCR totals and own keys read back',
];

const PROGRAMS = [
  {
    name: 'redigo',
    client: 'redigo (Go)',
    pkg: 'golang-github-gomodule-redigo-dev',
    order: 3,
    checks: [
      'seed pool snippet: PING hash=sample/hashkey answers PONG',
      ...COMMON_CHECKS,
      'pipelined Send/Flush/Receive of 1,000 commands answers in order',
      'SCAN over the whole cluster visits every key exactly once',
      'BLOB.PUT of 1 MB, BLOB.GET and BLOB.GETRANGE give the bytes back, BLOB.DEL removes it',
    ],
  },
  {
    name: 'goredis',
    client: 'go-redis v5 (Go)',
    pkg: 'golang-gopkg-redis.v5-dev',
    order: 4,
    checks: [
      'PING hash=sample/hashkey answers PONG',
      ...COMMON_CHECKS,
      'Pipeline of 1,000 commands answers in order',
      'SCAN iterator over the whole cluster visits every key exactly once',
    ],
  },
];

describe('Go clients against jupiter over three nodes', () => {
  let cluster: TestCluster;
  let directs: Redis[];
  let buildDir: string;
  const goEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: '/usr/share/gocode',
    GOCACHE: path.join(buildDir, 'cache'),
    GOFLAGS: '',
  });

  before(async () => {
    cluster = await startCluster(3);
    directs = [0, 1, 2].map((i) => cluster.direct(i));
    buildDir = await mkdtemp(path.join(os.tmpdir(), 'jupiter-go-'));
  });

  after(async () => {
    await cluster?.stop();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  for (const program of PROGRAMS) {
    describe(`${program.client}, built with Debian's ${program.pkg}`, () => {
      const recorder = new CompatRecorder(program.client, debianVersion(program.pkg), program.order);
      let run: ProgramRun;

      before(async () => {
        const binary = path.join(buildDir, program.name);
        // GOPATH mode builds a local package only from inside its directory ("cannot import absolute path").
        await exec('go', ['build', '-o', binary, '.'], { cwd: sourceDir(program.name), env: goEnv(), timeout: 180_000 });
        await cluster.client().flushall();
        run = await runProgram(binary, ['-addr', `127.0.0.1:${cluster.port}`], { timeoutMs: 60_000 });
      });

      after(() => recorder.write());

      for (const check of program.checks) {
        recorder.it(check, async () => {
          const failure = checkFailure(run, check);
          assert.equal(failure, null, failure ?? '');
        });
      }

      recorder.it('the program reports exactly these checks and exits 0', async () => {
        assert.deepEqual([...run.checks.keys()].sort(), [...program.checks].sort());
        assert.equal(run.code, 0, run.stderr);
      });

      recorder.it('hash=somekey keys share one node and are stored without the option', async () => {
        const where = await locate(directs, ['hello', 'key1', 'key2', 'key3']);
        for (const nodes of where) assert.equal(nodes.length, 1, JSON.stringify(where));
        assert.deepEqual(new Set(where.map((n) => n[0])).size, 1, `hash=somekey keys are on nodes ${JSON.stringify(where)}`);
        for (const r of directs) assert.deepEqual(await r.keys('*hash=*'), []);
      });

      recorder.it('the MGET keys and the pipelined keys really lie on every node', async () => {
        const mgetKeys = Array.from({ length: 20 }, (_, i) => `mget:${i + 10}`);
        const pipeKeys = Array.from({ length: 500 }, (_, i) => `pipe:${i}`);
        const mgetNodes = new Set((await locate(directs, mgetKeys)).flat());
        const pipeWhere = await locate(directs, pipeKeys);
        assert.deepEqual([...mgetNodes].sort(), [0, 1, 2]);
        assert.ok(pipeWhere.every((n) => n.length === 1));
        assert.deepEqual([...new Set(pipeWhere.flat())].sort(), [0, 1, 2]);
      });
    });
  }
});
