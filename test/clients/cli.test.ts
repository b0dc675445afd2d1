// redis-cli and redis-benchmark against jupiter over three nodes: interactive use (commands on
// stdin, compared line for line with a plain redis-server), --scan, --pipe mass insertion of
// 100,000 keys, --latency and -r loops, and redis-benchmark's default test set.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { locate } from '../helpers/placement.js';
import { runCommand, type CommandRun } from '../helpers/checks.js';
import { encodeCommand } from '../helpers/resp.js';
import { CompatRecorder } from '../helpers/compat.js';

const versionOf = (tool: string): string => execFileSync(tool, ['--version']).toString().match(/(\d+\.\d+\.\d+)/)?.[1] ?? 'unknown';
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

/** A session that gives the same output from one Redis and from jupiter (no hash=, no ids). */
const SESSION = [
  'PING',
  'SET cli:a 1',
  'GET cli:a',
  'INCRBY cli:a 41',
  'APPEND cli:a "and more"',
  'GETRANGE cli:a 0 3',
  'MSET cli:b 2 cli:c 3 cli:d 4 {cli}:e 5 cli:f 6 cli:g 7 cli:i 8 cli:j 9 cli:k 10 cli:m 11 cli:n 12 cli:o 13',
  'MGET cli:a cli:b cli:c cli:d {cli}:e cli:missing',
  'HSET cli:h f1 v1 f2 v2',
  'HGETALL cli:h',
  'LPUSH cli:l a b c',
  'LRANGE cli:l 0 -1',
  'SADD cli:s only',
  'SMEMBERS cli:s',
  'ZADD cli:z 1 one 2.5 two',
  'ZRANGE cli:z 0 -1 WITHSCORES',
  'EXPIRE cli:b 1000',
  'TTL cli:b',
  'TYPE cli:h',
  'SET cli:bin "\\x00\\xff\\r\\n"',
  'STRLEN cli:bin',
  'GET cli:h',
  'GET',
  'NOSUCHCOMMAND x y',
  'EXISTS cli:a cli:b cli:missing cli:a',
  'DEL cli:a cli:c cli:missing',
  'DBSIZE',
  'ECHO "hello world"',
  'SELECT 0',
  'QUIT',
].join('\n');

describe('redis-cli and redis-benchmark against jupiter over three nodes', () => {
  let cluster: TestCluster;
  let plain: RedisNode;
  let proxy: Redis;
  let directs: Redis[];
  const cli = (port: number, args: string[], input?: string | Buffer, timeoutMs = 60_000): Promise<CommandRun> =>
    runCommand('redis-cli', ['-p', String(port), ...args], { input, timeoutMs });

  before(async () => {
    [cluster, plain] = await Promise.all([startCluster(3), startRedis()]);
    proxy = cluster.client();
    directs = [0, 1, 2].map((i) => cluster.direct(i));
  });

  after(async () => {
    await Promise.all([cluster?.stop(), plain?.stop()]);
  });

  describe(`redis-cli ${versionOf('redis-cli')}`, () => {
    const recorder = new CompatRecorder('redis-cli', versionOf('redis-cli'), 6);
    after(() => recorder.write());

    for (const mode of [[], ['--no-raw'], ['-3', '--no-raw']]) {
      recorder.it(`a session on stdin${mode.length ? ` (${mode.join(' ')})` : ''} prints exactly what one redis-server prints`, async () => {
        await proxy.flushall();
        const direct = await cli(plain.port, ['FLUSHALL']);
        assert.equal(direct.stdout.trim(), 'OK');
        const [viaProxy, viaRedis] = [await cli(cluster.port, mode, SESSION), await cli(plain.port, mode, SESSION)];
        assert.equal(viaRedis.code, 0, viaRedis.stderr);
        assert.ok(lines(viaRedis.stdout).length >= 30, viaRedis.stdout);
        assert.equal(viaProxy.stdout, viaRedis.stdout);
        assert.equal(viaProxy.stderr, viaRedis.stderr);
        assert.equal(viaProxy.code, viaRedis.code);
        // The multi-key commands really spanned nodes. Placement follows the nodes' random ports, so
        // MSET carries eleven surviving keys: all on one node is a 1-in-50,000 chance, not 1-in-80.
        const msetKeys = ['cli:b', 'cli:d', '{cli}:e', 'cli:f', 'cli:g', 'cli:i', 'cli:j', 'cli:k', 'cli:m', 'cli:n', 'cli:o'];
        assert.ok(new Set((await locate(directs, msetKeys)).flat()).size >= 2);
      });
    }

    recorder.it('a session on stdin with hash= runs the README examples', async () => {
      await proxy.flushall();
      const run = await cli(
        cluster.port,
        [],
        [
          'SET hello world hash=somekey',
          'GET hello hash=somekey',
          'MSET key1 val1 key2 val2 key3 val3 hash=somekey',
          'SCAN 0 MATCH key* hash=somekey',
          'PING hash=somekey',
          'DBSIZE',
        ].join('\n'),
      );
      assert.equal(run.code, 0, run.stderr);
      const out = lines(run.stdout);
      assert.deepEqual(out.slice(0, 4), ['OK', 'world', 'OK', '0']);
      assert.deepEqual(out.slice(4, 7).sort(), ['key1', 'key2', 'key3']);
      assert.deepEqual(out.slice(7), ['PONG', '4']);
    });

    recorder.it('SELECT 1 is refused (one database only, a documented difference) and the session goes on in database 0', async () => {
      await proxy.set('cli:db', 'zero');
      const run = await cli(cluster.port, ['--no-raw'], 'SELECT 1\nGET cli:db\n');
      assert.deepEqual(lines(run.stdout), ['(error) ERR DB index is out of range', '"zero"']);
    });

    recorder.it('--pipe inserts 100,000 keys with no error, then DBSIZE through jupiter is 100000', async () => {
      await proxy.flushall();
      const input = Buffer.concat(Array.from({ length: 100_000 }, (_, i) => encodeCommand(['SET', `mass:${i}`, `v${i}`])));
      const run = await cli(cluster.port, ['--pipe'], input, 120_000);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /errors: 0, replies: 100000/);
      assert.equal((await cli(cluster.port, ['DBSIZE'])).stdout.trim(), '100000');
      const perNode = await Promise.all(directs.map((r) => r.dbsize()));
      assert.equal(perNode.reduce((a, b) => a + b, 0), 100_000);
      for (const n of perNode) assert.ok(n > 25_000, `uneven spread ${JSON.stringify(perNode)}`);
    });

    recorder.it('--scan lists every key of the cluster exactly once; --pattern filters', async () => {
      const all = await cli(cluster.port, ['--scan']);
      assert.equal(all.code, 0, all.stderr);
      const keys = lines(all.stdout);
      assert.equal(keys.length, 100_000);
      assert.equal(new Set(keys).size, 100_000);
      assert.ok(keys.every((k) => /^mass:\d+$/.test(k)));
      const some = await cli(cluster.port, ['--scan', '--pattern', 'mass:9999*']);
      assert.deepEqual(lines(some.stdout).sort(), ['mass:9999', ...Array.from({ length: 10 }, (_, i) => `mass:9999${i}`)].sort());
    });

    recorder.it('--latency samples PING for its interval and reports min/max/avg/samples', async () => {
      // With stdout not a terminal redis-cli --latency runs one interval (-i, seconds) and prints one line.
      const run = await cli(cluster.port, ['--latency', '-i', '1'], undefined, 15_000);
      assert.equal(run.code, 0, run.stderr);
      const [min, max, avg, samples] = run.stdout.trim().split(/\s+/).map(Number);
      assert.ok(samples > 10, `only ${samples} PING samples: ${run.stdout}`);
      assert.ok(min >= 0 && max >= min && avg >= min && avg <= max, run.stdout);
    });

    recorder.it('-r 100 repeats PING and INCR 100 times', async () => {
      const ping = await cli(cluster.port, ['-r', '100', 'PING']);
      assert.deepEqual(lines(ping.stdout), Array(100).fill('PONG'));
      await cli(cluster.port, ['DEL', 'cli:repeat']);
      const incr = await cli(cluster.port, ['-r', '100', 'INCR', 'cli:repeat']);
      assert.deepEqual(lines(incr.stdout), Array.from({ length: 100 }, (_, i) => String(i + 1)));
    });
  });

  describe(`redis-benchmark ${versionOf('redis-benchmark')}`, () => {
    const recorder = new CompatRecorder('redis-benchmark', versionOf('redis-benchmark'), 7);
    after(() => recorder.write());

    const DEFAULT_TESTS = [
      'PING_INLINE',
      'PING_MBULK',
      'SET',
      'GET',
      'INCR',
      'LPUSH',
      'RPUSH',
      'LPOP',
      'RPOP',
      'SADD',
      'HSET',
      'SPOP',
      'ZADD',
      'ZPOPMIN',
      'LPUSH (needed to benchmark LRANGE)',
      'LRANGE_100 (first 100 elements)',
      'LRANGE_300 (first 300 elements)',
      'LRANGE_500 (first 500 elements)',
      'LRANGE_600 (first 600 elements)',
      'MSET (10 keys)',
    ];

    /** Test names that reported a rate, and every line that mentions an error. */
    const parse = (run: CommandRun): { rated: string[]; errors: string[] } => {
      const all = `${run.stdout}\n${run.stderr}`.split(/[\r\n]+/);
      const rated = all.flatMap((l) => /^(.+): [\d.]+ requests per second/.exec(l.trim())?.[1] ?? []);
      const errors = all.filter((l) => /err/i.test(l));
      return { rated, errors };
    };

    recorder.it('the default test set (-q -n 10000) runs to the end with no error line', async () => {
      await proxy.flushall();
      const run = await runCommand('redis-benchmark', ['-p', String(cluster.port), '-q', '-n', '10000'], { timeoutMs: 240_000 });
      assert.equal(run.code, 0, run.stderr);
      const { rated, errors } = parse(run);
      assert.deepEqual(errors, []);
      assert.deepEqual(rated, DEFAULT_TESTS);
      // Its keys are really stored: the list it filled for LRANGE holds 600+ elements on one node.
      const lengths = await Promise.all(directs.map((r) => r.llen('mylist').catch(() => 0)));
      assert.ok(lengths.some((n) => n >= 600), JSON.stringify(lengths));
    });

    recorder.it('pipelined (-P 16) SET, GET, INCR, MSET run with no error line', async () => {
      const run = await runCommand(
        'redis-benchmark',
        ['-p', String(cluster.port), '-q', '-n', '20000', '-P', '16', '-r', '10000', '-t', 'set,get,incr,mset'],
        { timeoutMs: 120_000 },
      );
      assert.equal(run.code, 0, run.stderr);
      const { rated, errors } = parse(run);
      assert.deepEqual(errors, []);
      assert.deepEqual(rated, ['SET', 'GET', 'INCR', 'MSET (10 keys)']);
      // -r spreads keys: they land on every node.
      const perNode = await Promise.all(directs.map((r) => r.dbsize()));
      for (const n of perNode) assert.ok(n > 100, JSON.stringify(perNode));
    });
  });
});
