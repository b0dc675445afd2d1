// Commands that act on the whole cluster, on real nodes: scripts and functions loaded on every
// node (and on a node that joins later), CONFIG SET on every node and CONFIG GET with jupiter's own
// parameters, INFO's sections summed over the nodes, SLOWLOG, LATENCY, LASTSAVE and MEMORY merged.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ringOf, waitStable } from '../helpers/handoff.js';
import { startRedis, type RedisNode } from '../helpers/redis.js';

/** One key owned by each node, by the ring jupiter routes with. */
async function keyPerNode(client: Redis): Promise<string[]> {
  const { ring } = await ringOf(client);
  const keys = new Map<number, string>();
  for (let i = 0; keys.size < ring.members.length; i++) {
    const owner = ring.ownerOfString(`spread:${i}`);
    if (!keys.has(owner)) keys.set(owner, `spread:${i}`);
  }
  return [...keys.values()];
}

describe('cluster-wide commands', () => {
  let cluster: TestCluster;
  let extra: RedisNode;
  let redis: Redis;
  let directs: Redis[];

  before(async () => {
    cluster = await startCluster(3, { limits: { maxClients: 4321 }, membership: { heartbeatMs: 100 } });
    extra = await startRedis();
    redis = cluster.client();
    directs = [0, 1, 2].map((i) => cluster.direct(i));
  });
  after(async () => {
    await cluster.stop();
    await extra.stop();
  });

  it('SCRIPT LOAD reaches every node, so EVALSHA runs wherever its key lives; SCRIPT EXISTS and FLUSH agree', async () => {
    const sha = (await redis.script('LOAD', "return redis.call('INCR', KEYS[1])")) as string;
    const keys = await keyPerNode(redis);
    for (const key of keys) assert.equal(await redis.evalsha(sha, 1, key), 1);
    assert.deepEqual(await redis.script('EXISTS', sha, 'ffffffffffffffffffffffffffffffffffffffff'), [1, 0]);
    // An ioredis script (EVALSHA first) finds it too.
    redis.defineCommand('bump', { numberOfKeys: 1, lua: "return redis.call('INCR', KEYS[1])" });
    assert.equal(await (redis as Redis & { bump(key: string): Promise<number> }).bump(keys[0]), 2);
    for (const d of directs) assert.deepEqual(await d.script('EXISTS', sha), [1]);
    // A refusal names its node.
    await assert.rejects(redis.script('LOAD', 'this is not lua'), /^ReplyError: ERR node \S+: Error compiling script/);
  });

  it('FUNCTION LOAD reaches every node, so FCALL runs wherever its key lives; FUNCTION LIST answers from one', async () => {
    const library = "#!lua name=jupitertest\nredis.register_function('getkey', function(keys) return redis.call('GET', keys[1]) end)";
    assert.equal(await redis.call('FUNCTION', 'LOAD', library), 'jupitertest');
    for (const key of await keyPerNode(redis)) {
      await redis.set(key, `value of ${key}`);
      assert.equal(await redis.call('FCALL', 'getkey', '1', key), `value of ${key}`);
    }
    assert.match(JSON.stringify(await redis.call('FUNCTION', 'LIST')), /jupitertest/);
    await assert.rejects(redis.call('FUNCTION', 'LOAD', library), /^ReplyError: ERR node \S+: Library 'jupitertest' already exists/);
  });

  it('a node added later gets the scripts and functions before it owns a key', async () => {
    const sha = (await redis.script('LOAD', 'return 42')) as string;
    assert.equal(await redis.call('JUPITER', 'ADDNODE', extra.address), 'OK');
    await waitStable(redis, 2);
    const newcomer = new Redis({ port: extra.port });
    try {
      assert.deepEqual(await newcomer.script('EXISTS', sha), [1]);
      assert.match(JSON.stringify(await newcomer.call('FUNCTION', 'LIST')), /jupitertest/);
    } finally {
      newcomer.disconnect();
    }
    for (const key of await keyPerNode(redis)) assert.equal(await redis.evalsha(sha, 1, key), 42);
  });

  it('CONFIG SET sets every node; CONFIG GET answers jupiter’s own parameters and the nodes’ others', async () => {
    assert.equal(await redis.config('SET', 'maxmemory-policy', 'allkeys-lru'), 'OK');
    for (const d of directs) assert.deepEqual(await d.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'allkeys-lru']);
    const got = (await redis.call('CONFIG', 'GET', 'maxclients', 'maxmemory-policy', 'databases')) as unknown;
    // ioredis speaks RESP3 by default: a map comes back as an object or flat list.
    const flat = Array.isArray(got) ? got : Object.entries(got as Record<string, string>).flat();
    const fields = Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));
    assert.deepEqual(fields, { maxclients: '4321', 'maxmemory-policy': 'allkeys-lru', databases: '1' });
    await assert.rejects(redis.config('SET', 'maxmemory', 'lots'), /^ReplyError: ERR node \S+: CONFIG SET failed/);
  });

  it('INFO reports every section monitoring tools read, summed over the nodes where the figures add up', async () => {
    const text = (await redis.info('everything')) as string;
    for (const section of ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Keyspace', 'Jupiter', 'Commandstats']) {
      assert.match(text, new RegExp(`^# ${section}\\r?$`, 'm'), section);
    }
    const field = (name: string): number => Number(new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]);
    // Every member, the node added above included.
    const members = [...directs, new Redis({ port: extra.port })];
    const perNode = await Promise.all(members.map(async (d) => Number(/^used_memory:(\d+)/m.exec((await d.info('memory')) as string)![1])));
    members[3].disconnect();
    // Summed: within what the nodes used meanwhile.
    assert.ok(Math.abs(field('used_memory') - perNode.reduce((a, b) => a + b, 0)) < 1024 * 1024, `used_memory ${field('used_memory')} vs ${perNode}`);
    assert.ok(field('jupiter_used_memory_rss') > 0);
    assert.ok(field('used_cpu_user') > 0);
    assert.ok(field('total_commands_processed') > 0);
    assert.equal(field('connected_clients') > 0, true);
    assert.match(text, /^role:master/m);
    assert.doesNotMatch((await redis.info('memory')) as string, /# Server/);
  });

  it('SLOWLOG gathers every node’s entries newest first, each naming its node; LEN sums, RESET empties', async () => {
    assert.equal(await redis.config('SET', 'slowlog-log-slower-than', '0'), 'OK');
    for (const key of await keyPerNode(redis)) await redis.get(key);
    const entries = (await redis.call('SLOWLOG', 'GET', '-1')) as unknown[][];
    const nodes = new Set(entries.map((e) => String(e[5])));
    assert.ok(nodes.size >= 3, `entries from ${[...nodes].join(', ')}`);
    assert.ok([...nodes].every((n) => n.startsWith('node=')));
    const times = entries.map((e) => Number(e[1]));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    assert.ok((await redis.call('SLOWLOG', 'LEN')) as number >= entries.length);
    assert.equal(await redis.call('SLOWLOG', 'RESET'), 'OK');
    assert.equal(await redis.config('SET', 'slowlog-log-slower-than', '10000'), 'OK');
  });

  it('LASTSAVE is the oldest node’s, LATENCY LATEST and MEMORY STATS answer for the cluster', async () => {
    const lastsaves = await Promise.all(directs.map((d) => d.lastsave()));
    const lastsave = (await redis.lastsave()) as number;
    assert.ok(lastsave <= Math.min(...lastsaves) + 1);
    assert.ok(Array.isArray(await redis.call('LATENCY', 'LATEST')));
    const stats = (await redis.call('MEMORY', 'STATS')) as unknown;
    assert.match(JSON.stringify(stats), /peak\.allocated/);
  });
});

describe("CLIENT LIST and CLIENT KILL act on jupiter's own clients", () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster(2);
  });
  after(() => cluster.stop());

  it('lists every client of the proxy with its name, and closes one by ID', async () => {
    const [a, b] = [cluster.client(), cluster.client()];
    await a.client('SETNAME', 'first');
    await b.client('SETNAME', 'second');
    const list = (await a.client('LIST')) as string;
    assert.match(list, /name=first .*resp=3/);
    assert.match(list, /name=second/);
    const id = Number(/id=(\d+)[^\n]*name=second/.exec(list)![1]);
    const closed = new Promise((resolve) => b.once('close', resolve));
    assert.equal(await a.call('CLIENT', 'KILL', 'ID', String(id)), 1);
    await closed;
    assert.doesNotMatch((await a.client('LIST')) as string, new RegExp(`id=${id} `));
  });
});
