// Node clients against jupiter over three nodes: ioredis (the project's own dependency) and
// node-redis (`redis` on npm), including their connect handshakes (HELLO, CLIENT SETINFO,
// CLIENT SETNAME) and what each does when jupiter refuses HELLO 3 with -NOPROTO.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { locate, within } from '../helpers/placement.js';
import { RawConnection } from '../helpers/resp.js';
import { CompatRecorder } from '../helpers/compat.js';

const require = createRequire(import.meta.url);
const versionOf = (pkg: string): string => (require(`${pkg}/package.json`) as { version: string }).version;

type NodeRedis = ReturnType<typeof createClient>;

describe('Node clients against jupiter over three nodes', () => {
  let cluster: TestCluster;
  let plain: RedisNode;
  let directs: Redis[];
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    [cluster, plain] = await Promise.all([startCluster(3), startRedis()]);
    directs = [0, 1, 2].map((i) => cluster.direct(i));
  });

  after(async () => {
    for (const cleanup of cleanups) {
      try {
        await cleanup();
      } catch {
        // already closed
      }
    }
    await Promise.all([cluster?.stop(), plain?.stop()]);
  });

  const keysOnNodes = async (keys: string[]): Promise<number[]> => [...new Set((await locate(directs, keys)).flat())].sort();

  describe(`ioredis ${versionOf('ioredis')}`, () => {
    const recorder = new CompatRecorder('ioredis (Node)', versionOf('ioredis'), 1);
    let redis: Redis;

    before(async () => {
      // ioredis 6 asks for RESP3 by default (HELLO 3) and falls back to RESP2 on -NOPROTO.
      redis = new Redis({ port: cluster.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      cleanups.push(() => redis.disconnect());
      await redis.flushall();
    });

    after(() => recorder.write());

    recorder.it('the default client (HELLO 3) speaks RESP3: maps, nulls and doubles as from one Redis', async () => {
      const raw = await RawConnection.connect(cluster.port);
      cleanups.push(() => raw.close());
      const [hello3, hello2] = await raw.call([['HELLO', '3'], ['HELLO', '2']]);
      assert.match(hello3.toString(), /^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n.*\$5\r\nproto\r\n:3\r\n/s);
      assert.match(hello2.toString(), /^\*14\r\n\$6\r\nserver\r\n/);
      // HELLO's errors in Redis's words.
      const direct = await RawConnection.connect(plain.port);
      cleanups.push(() => direct.close());
      const wrong = [['HELLO', 'x'], ['HELLO', '4'], ['HELLO', '2', 'AUTH', 'default'], ['HELLO', '2', 'Bogus']];
      assert.deepEqual((await raw.call(wrong)).map(String), (await direct.call(wrong)).map(String));
      assert.equal(redis.status, 'ready');
      await redis.hset('io:hash', 'f', 'v');
      assert.deepEqual(await redis.hgetall('io:hash'), { f: 'v' });
      await redis.zadd('io:z', '1.5', 'm');
      assert.equal(await redis.zscore('io:z', 'm'), '1.5');
      assert.equal(await redis.get('io:missing'), null);
    });

    recorder.it('PING hash=sample/hashkey answers PONG', async () => {
      assert.equal(await redis.call('PING', 'hash=sample/hashkey'), 'PONG');
    });

    recorder.it('SET/GET with hash=somekey and without hash=', async () => {
      assert.equal(await redis.call('SET', 'hello', 'world', 'hash=somekey'), 'OK');
      assert.equal(await redis.call('GET', 'hello', 'hash=somekey'), 'world');
      assert.equal(await redis.set('io:plain', 'plain world'), 'OK');
      assert.equal(await redis.get('io:plain'), 'plain world');
    });

    recorder.it('binary values round-trip as Buffers', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await redis.set('io:binary', bytes);
      assert.deepEqual(await redis.getBuffer('io:binary'), bytes);
    });

    recorder.it('MSET hash=somekey then SCAN 0 MATCH key* hash=somekey returns cursor 0 and the three keys', async () => {
      assert.equal(await redis.call('MSET', 'key1', 'val1', 'key2', 'val2', 'key3', 'val3', 'hash=somekey'), 'OK');
      const [cursor, keys] = (await redis.call('SCAN', '0', 'MATCH', 'key*', 'hash=somekey')) as [string, string[]];
      assert.equal(cursor, '0');
      assert.deepEqual(keys.sort(), ['key1', 'key2', 'key3']);
    });

    recorder.it('a pipeline of 1,000 commands, cross-node MGETs among them, answers in order', async () => {
      const pipeline = redis.pipeline();
      const expected: unknown[] = [];
      // Every other command is longer than the MGETs: a merge that read a later request's
      // argument count would leave holes (the bug the differential test found in split.ts).
      for (let i = 0; i < 250; i++) {
        pipeline.set(`io:pipe:${i}`, `v${i}`, 'EX', 1000);
        pipeline.getrange(`io:pipe:${i}`, 0, -1);
        pipeline.mget(`io:pipe:${i}`, `io:pipe:${i >> 1}`);
        pipeline.hincrby('io:pipe:counter', 'n', 1);
        expected.push('OK', `v${i}`, [`v${i}`, `v${i >> 1}`], i + 1);
      }
      const results = (await pipeline.exec())!;
      assert.equal(results.length, 1000);
      for (const [err] of results) assert.equal(err, null);
      assert.deepEqual(
        results.map(([, value]) => value),
        expected,
      );
      assert.deepEqual(await keysOnNodes(Array.from({ length: 250 }, (_, i) => `io:pipe:${i}`)), [0, 1, 2]);
    });

    recorder.it('MGET, DEL and EXISTS across nodes answer like one Redis', async () => {
      const keys = Array.from({ length: 30 }, (_, i) => `io:mget:${i}`);
      await redis.mset(Object.fromEntries(keys.map((k, i) => [k, `m${i}`])));
      assert.deepEqual(await keysOnNodes(keys), [0, 1, 2]);
      assert.deepEqual(
        await redis.mget(...keys.slice(0, 15), 'io:mget:missing', ...keys.slice(15)),
        [...keys.slice(0, 15).map((_, i) => `m${i}`), null, ...keys.slice(15).map((_, i) => `m${i + 15}`)],
      );
      assert.equal(await redis.exists(...keys, keys[0], 'io:mget:missing'), 31);
      assert.equal(await redis.del(...keys, 'io:mget:missing'), 30);
    });

    recorder.it('scanStream over the whole cluster yields every key exactly once', async () => {
      const keys = Array.from({ length: 1000 }, (_, i) => `io:scan:${i}`);
      const pipeline = redis.pipeline();
      for (const k of keys) pipeline.set(k, '1');
      await pipeline.exec();
      const seen = new Map<string, number>();
      for await (const page of redis.scanStream({ match: 'io:scan:*', count: 100 })) {
        for (const k of page as string[]) seen.set(k, (seen.get(k) ?? 0) + 1);
      }
      assert.deepEqual([...seen.values()].filter((n) => n !== 1), []);
      assert.deepEqual([...seen.keys()].sort(), keys.slice().sort());
    });

    recorder.it('with enableAutoPipelining, 1,000 concurrent commands all answer correctly', async () => {
      const auto = new Redis({ port: cluster.port, host: '127.0.0.1', enableAutoPipelining: true, maxRetriesPerRequest: 1 });
      cleanups.push(() => auto.disconnect());
      const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? auto.set(`io:auto:${i}`, `a${i}`) : auto.get(`io:auto:${i - 1}`))));
      replies.forEach((r, i) => assert.equal(r, i % 2 === 0 ? 'OK' : `a${i - 1}`));
    });

    recorder.it('multi() with hash tags runs as one transaction; one with keys of two nodes gets EXECABORT', async () => {
      assert.deepEqual(await redis.multi().set('{io}:n', '1').incrby('{io}:n', 9).get('{io}:n').exec(), [
        [null, 'OK'],
        [null, 10],
        [null, '10'],
      ]);
      const spread = Array.from({ length: 12 }, (_, i) => `io:tx:${i}`);
      const multi = redis.multi();
      for (const k of spread) multi.set(k, 'v');
      await assert.rejects(multi.exec(), /EXECABORT/);
      assert.deepEqual(await keysOnNodes(spread), []);
    });

    recorder.it('BLPOP waits for another client’s push on a connection of its own', async () => {
      const popper = new Redis({ port: cluster.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      cleanups.push(() => popper.disconnect());
      const popped = popper.blpop('io:jobs', 0);
      assert.equal(await redis.ping(), 'PONG');
      await redis.rpush('io:jobs', 'job-1');
      assert.deepEqual(await within(popped, 5000, 'BLPOP'), ['io:jobs', 'job-1']);
    });
  });

  describe(`node-redis ${versionOf('redis')}`, () => {
    const recorder = new CompatRecorder('node-redis (Node)', versionOf('redis'), 2);
    let client: NodeRedis;

    const connect = async (options: Parameters<typeof createClient>[0]): Promise<NodeRedis> => {
      const c = createClient({ ...options, socket: { host: '127.0.0.1', port: cluster.port, reconnectStrategy: false } });
      c.on('error', () => {});
      cleanups.push(() => c.destroy());
      await within(c.connect(), 5000, 'node-redis connect');
      return c;
    };

    before(async () => {
      client = await connect({ RESP: 2, name: 'jupiter-test' });
      await client.flushAll();
    });

    after(() => recorder.write());

    recorder.it('RESP: 2 connects: the handshake (CLIENT SETNAME, CLIENT SETINFO) succeeds', async () => {
      assert.equal(client.isReady, true);
      assert.equal(await client.clientGetName(), 'jupiter-test');
      // node-redis ignores CLIENT SETINFO errors at connect; ask directly so a refusal would show.
      assert.equal(await client.sendCommand(['CLIENT', 'SETINFO', 'LIB-NAME', 'node-redis']), 'OK');
      assert.equal(await client.sendCommand(['CLIENT', 'SETINFO', 'LIB-VER', versionOf('redis')]), 'OK');
    });

    recorder.it('with default options (RESP3) and with RESP: 3 it connects and gets maps, sets, doubles and nulls', async () => {
      for (const options of [{}, { RESP: 3 as const }]) {
        const c = await connect(options);
        await c.hSet('nr:resp3', { a: '1', b: '2' });
        assert.deepEqual({ ...(await c.hGetAll('nr:resp3')) }, { a: '1', b: '2' });
        await c.sAdd('nr:set3', ['x', 'y']);
        assert.deepEqual((await c.sMembers('nr:set3')).sort(), ['x', 'y']);
        await c.zAdd('nr:z3', { score: 2.5, value: 'm' });
        assert.equal(await c.zScore('nr:z3', 'm'), 2.5);
        assert.equal(await c.get('nr:missing3'), null);
      }
    });

    recorder.it('PING hash=sample/hashkey answers PONG', async () => {
      assert.equal(await client.sendCommand(['PING', 'hash=sample/hashkey']), 'PONG');
      assert.equal(await client.ping(), 'PONG');
    });

    recorder.it('SET/GET with hash=somekey and without hash=', async () => {
      assert.equal(await client.sendCommand(['SET', 'hello', 'world', 'hash=somekey']), 'OK');
      assert.equal(await client.sendCommand(['GET', 'hello', 'hash=somekey']), 'world');
      assert.equal(await client.set('nr:plain', 'plain world'), 'OK');
      assert.equal(await client.get('nr:plain'), 'plain world');
      assert.equal(await client.get('nr:missing'), null);
    });

    recorder.it('MSET hash=somekey then SCAN 0 MATCH key* hash=somekey returns cursor 0 and the three keys', async () => {
      assert.equal(await client.sendCommand(['MSET', 'key1', 'val1', 'key2', 'val2', 'key3', 'val3', 'hash=somekey']), 'OK');
      const [cursor, keys] = (await client.sendCommand(['SCAN', '0', 'MATCH', 'key*', 'hash=somekey'])) as [string, string[]];
      assert.equal(cursor, '0');
      assert.deepEqual(keys.sort(), ['key1', 'key2', 'key3']);
    });

    recorder.it('multi().execAsPipeline() of 1,000 commands, cross-node mGets among them, answers in order', async () => {
      const pipeline = client.multi();
      const expected: unknown[] = [];
      for (let i = 0; i < 250; i++) {
        pipeline.set(`nr:pipe:${i}`, `v${i}`, { expiration: { type: 'EX', value: 1000 } });
        pipeline.getRange(`nr:pipe:${i}`, 0, -1);
        pipeline.mGet([`nr:pipe:${i}`, `nr:pipe:${i >> 1}`]);
        pipeline.hIncrBy('nr:pipe:counter', 'n', 1);
        expected.push('OK', `v${i}`, [`v${i}`, `v${i >> 1}`], i + 1);
      }
      assert.deepEqual(await pipeline.execAsPipeline(), expected);
      assert.deepEqual(await keysOnNodes(Array.from({ length: 250 }, (_, i) => `nr:pipe:${i}`)), [0, 1, 2]);
    });

    recorder.it('1,000 concurrent commands (auto-pipelined) answer correctly', async () => {
      const replies = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? client.set(`nr:auto:${i}`, `a${i}`) : client.get(`nr:auto:${i - 1}`))),
      );
      replies.forEach((r, i) => assert.equal(r, i % 2 === 0 ? 'OK' : `a${i - 1}`));
    });

    recorder.it('mGet, del and exists across nodes answer like one Redis', async () => {
      const keys = Array.from({ length: 30 }, (_, i) => `nr:mget:${i}`);
      await client.mSet(Object.fromEntries(keys.map((k, i) => [k, `m${i}`])));
      assert.deepEqual(await keysOnNodes(keys), [0, 1, 2]);
      assert.deepEqual(await client.mGet([...keys, 'nr:mget:missing']), [...keys.map((_, i) => `m${i}`), null]);
      assert.equal(await client.exists([...keys, 'nr:mget:missing']), 30);
      assert.equal(await client.del([...keys, 'nr:mget:missing']), 30);
    });

    recorder.it('scanIterator over the whole cluster yields every key exactly once', async () => {
      const keys = Array.from({ length: 1000 }, (_, i) => `nr:scan:${i}`);
      await client.mSet(Object.fromEntries(keys.map((k) => [k, '1'])));
      const seen = new Map<string, number>();
      for await (const page of client.scanIterator({ MATCH: 'nr:scan:*', COUNT: 100 })) {
        for (const k of page) seen.set(k, (seen.get(k) ?? 0) + 1);
      }
      assert.deepEqual([...seen.values()].filter((n) => n !== 1), []);
      assert.deepEqual([...seen.keys()].sort(), keys.slice().sort());
    });

    recorder.it('multi().exec() with hash tags runs as one transaction, and WATCH makes a changed one fail', async () => {
      assert.deepEqual(await client.multi().set('{nr}:n', '1').incrBy('{nr}:n', 9).get('{nr}:n').exec(), ['OK', 10, '10']);
      const watcher = await connect({ RESP: 2 });
      await watcher.watch('{nr}:n');
      await client.set('{nr}:n', 'changed');
      await assert.rejects(watcher.multi().set('{nr}:n', 'late').exec(), /watched keys has been changed/);
      assert.equal(await client.get('{nr}:n'), 'changed');
    });
  });
});
