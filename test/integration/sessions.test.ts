// Transactions and blocking commands through jupiter, on real nodes: each runs on a connection a
// node leases to the client, while other clients keep sharing the pipelined one.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawConnection } from '../helpers/resp.js';
import { Ring } from '../../src/ring/ring.js';
import { ringOf, waitStable } from '../helpers/handoff.js';
import { startRedis, type RedisNode } from '../helpers/redis.js';

/** A pipeline on a raw connection, its replies as text. */
const text = async (raw: RawConnection, commands: string[][]): Promise<string[]> => (await raw.call(commands)).map(String);

/** Sum over the nodes of a per-node gauge on /metrics. */
async function gauge(cluster: TestCluster, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${cluster.proxy.metricsPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
}

/** Resolves once the gauge reads `want` (leases end a turn or two after their client does). */
async function gaugeReaches(cluster: TestCluster, name: string, want: number): Promise<void> {
  for (;;) {
    const got = await gauge(cluster, name);
    if (got === want) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('transactions through jupiter', () => {
  let cluster: TestCluster;
  let redis: Redis;
  let directs: Redis[];

  before(async () => {
    cluster = await startCluster(3, { metrics: { port: 0 } });
    redis = cluster.client();
    directs = [0, 1, 2].map((i) => cluster.direct(i));
  });
  after(() => cluster.stop());

  it('a pipelined MULTI, SET, INCRBY, EXEC runs as one transaction on the node of its keys', async () => {
    const raw = await RawConnection.connect(cluster.port);
    try {
      const replies = await text(raw, [['MULTI'], ['SET', '{acct}:1', '10'], ['INCRBY', '{acct}:1', '5'], ['GET', '{acct}:1'], ['EXEC']]);
      assert.deepEqual(replies, ['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*3\r\n+OK\r\n:15\r\n$2\r\n15\r\n']);
    } finally {
      raw.close();
    }
    const holders = await Promise.all(directs.map((d) => d.exists('{acct}:1')));
    assert.deepEqual(holders.sort(), [0, 0, 1]);
  });

  it('a transaction refused for CROSSSLOT runs none of its commands, before or after the refused one', async () => {
    const { ring } = await ringOf(redis);
    const home = ring.ownerOfString('x');
    let other = 'other:0';
    for (let i = 1; ring.ownerOfString(other) === home; i++) other = `other:${i}`;
    const raw = await RawConnection.connect(cluster.port);
    try {
      const replies = await text(raw, [['MULTI'], ['SET', '{x}:1', 'a'], ['SET', other, 'b'], ['INCRBY', '{x}:counter', '5'], ['EXEC']]);
      assert.deepEqual(replies, [
        '+OK\r\n',
        '+QUEUED\r\n',
        "-CROSSSLOT Keys in request don't hash to the same node (use hash=KEY)\r\n",
        '+QUEUED\r\n',
        '-EXECABORT Transaction discarded because of previous errors.\r\n',
      ]);
    } finally {
      raw.close();
    }
    for (const d of directs) assert.equal(await d.exists('{x}:1', other, '{x}:counter'), 0);
  });

  it('ioredis multi() with hash tags, an error inside EXEC, empty MULTI/EXEC, and DISCARD', async () => {
    await redis.set('{t}:s', 'text');
    const results = await redis.multi().set('{t}:a', '1').incr('{t}:s').incr('{t}:a').exec();
    assert.deepEqual(results![0], [null, 'OK']);
    assert.match(String(results![1][0]), /ERR value is not an integer/);
    assert.deepEqual(results![2], [null, 2]);
    assert.deepEqual(await redis.multi().exec(), []);
    const raw = await RawConnection.connect(cluster.port);
    try {
      assert.deepEqual(await text(raw, [['MULTI'], ['SET', '{t}:d', 'x'], ['DISCARD'], ['GET', '{t}:d']]), ['+OK\r\n', '+QUEUED\r\n', '+OK\r\n', '$-1\r\n']);
    } finally {
      raw.close();
    }
  });

  it('MULTI hash=KEY runs keys of any name on that key’s node', async () => {
    const raw = await RawConnection.connect(cluster.port);
    try {
      const replies = await text(raw, [['MULTI', 'hash=somekey'], ['SET', 'alpha', '1', 'hash=somekey'], ['SET', 'beta', '2', 'hash=somekey'], ['EXEC']]);
      assert.deepEqual(replies, ['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*2\r\n+OK\r\n+OK\r\n']);
      assert.deepEqual(await text(raw, [['MGET', 'alpha', 'beta', 'hash=somekey']]), ['*2\r\n$1\r\n1\r\n$1\r\n2\r\n']);
    } finally {
      raw.close();
    }
  });

  it('WATCH: a watched key changed by another client makes EXEC answer nil; unchanged, it runs', async () => {
    const other = cluster.client();
    await redis.set('{w}:k', 'v0');
    await redis.watch('{w}:k');
    await other.set('{w}:k', 'theirs');
    assert.equal(await redis.multi().set('{w}:k', 'mine').exec(), null);
    assert.equal(await redis.get('{w}:k'), 'theirs');
    await redis.watch('{w}:k');
    assert.deepEqual(await redis.multi().set('{w}:k', 'mine').exec(), [[null, 'OK']]);
    assert.equal(await redis.get('{w}:k'), 'mine');
    const { ring } = await ringOf(redis);
    let elsewhere = 'elsewhere:0';
    for (let i = 1; ring.ownerOfString(elsewhere) === ring.ownerOfString('w'); i++) elsewhere = `elsewhere:${i}`;
    await assert.rejects(redis.watch('{w}:k', elsewhere), /CROSSSLOT/);
  });

  it('node-redis multi().exec() and a watched transaction', async () => {
    const client = createClient({ socket: { port: cluster.port, host: '127.0.0.1' }, RESP: 2 });
    await client.connect();
    try {
      assert.deepEqual(await client.multi().set('{nr}:a', '1').incrBy('{nr}:a', 41).get('{nr}:a').exec(), ['OK', 42, '42']);
      const isolated = await client.duplicate().connect();
      try {
        await isolated.watch('{nr}:a');
        await client.set('{nr}:a', 'changed');
        await assert.rejects(isolated.multi().set('{nr}:a', 'late').exec(), /watched keys has been changed/);
        assert.equal(await client.get('{nr}:a'), 'changed');
      } finally {
        await isolated.quit();
      }
    } finally {
      await client.quit();
    }
  });

  it('clients in transactions lease connections and give them back: none are left after 200 transactions', async () => {
    const before = await gauge(cluster, 'jupiter_node_leases');
    const clients = Array.from({ length: 20 }, () => cluster.client());
    await Promise.all(clients.map(async (c, i) => {
      for (let n = 0; n < 10; n++) assert.deepEqual(await c.multi().incr(`{lease}:${i}`).exec(), [[null, n + 1]]);
    }));
    await gaugeReaches(cluster, 'jupiter_node_leases', before);
    assert.ok((await gauge(cluster, 'jupiter_node_idle_leases')) <= 8 * 3, 'at most 8 idle per node');
  });
});

describe('blocking commands through jupiter', () => {
  let cluster: TestCluster;
  let redis: Redis;

  before(async () => {
    // A short request timeout: a blocking command may still block far longer, as it asks.
    cluster = await startCluster(3, { metrics: { port: 0 }, backend: { requestTimeoutMs: 300 } });
    redis = cluster.client();
  });
  after(() => cluster.stop());

  it('BLPOP waits for a push from another client, past the request timeout, and a timeout answers nil', async () => {
    const waiting = redis.blpop('queue:1', 0);
    await new Promise((r) => setTimeout(r, 600));
    await cluster.client().rpush('queue:1', 'job');
    assert.deepEqual(await waiting, ['queue:1', 'job']);
    const started = Date.now();
    assert.equal(await redis.blpop('queue:empty', 0.8), null);
    assert.ok(Date.now() - started >= 700, 'it blocked for its own timeout');
  });

  it('a pipeline after BLPOP waits for it, as on one Redis: the GET sees the value the pop left', async () => {
    await redis.rpush('queue:2', 'a', 'b');
    const raw = await RawConnection.connect(cluster.port);
    try {
      assert.deepEqual(await text(raw, [['BLPOP', 'queue:2', '0'], ['LLEN', 'queue:2'], ['XREAD', 'BLOCK', '100', 'STREAMS', 'stream:none', '$']]), [
        '*2\r\n$7\r\nqueue:2\r\n$1\r\na\r\n',
        ':1\r\n',
        '*-1\r\n',
      ]);
    } finally {
      raw.close();
    }
  });

  it('100 clients blocked in BLPOP do not hold up other clients, and get their pushes', async () => {
    const blocked = Array.from({ length: 100 }, () => cluster.client());
    const pops = blocked.map((c, i) => c.blpop(`wait:${i}`, 0));
    await gaugeReaches(cluster, 'jupiter_node_leases', 100);
    const gets = Array.from({ length: 500 }, (_, i) => redis.get(`free:${i}`));
    assert.deepEqual(await Promise.all(gets), gets.map(() => null));
    const pusher = cluster.client();
    await Promise.all(blocked.map((_, i) => pusher.rpush(`wait:${i}`, `v${i}`)));
    assert.deepEqual(await Promise.all(pops), blocked.map((_, i) => [`wait:${i}`, `v${i}`]));
    await gaugeReaches(cluster, 'jupiter_node_leases', 0);
  });

  it('a client that disconnects while blocked releases its lease at once: no lease is left after 1,000 cycles', async () => {
    for (let round = 0; round < 50; round++) {
      const raws = await Promise.all(Array.from({ length: 20 }, () => RawConnection.connect(cluster.port)));
      for (const [i, raw] of raws.entries()) raw.send([['BLPOP', `cycle:${round}:${i}`, '0']]);
      await gaugeReaches(cluster, 'jupiter_node_leases', 20);
      for (const raw of raws) raw.close();
    }
    await gaugeReaches(cluster, 'jupiter_node_leases', 0);
    assert.ok((await gauge(cluster, 'jupiter_node_idle_leases')) <= 8 * 3);
    // The closed connections were never reused by anyone: a push now lands in the list.
    await redis.rpush('cycle:0:0', 'kept');
    assert.equal(await redis.lrange('cycle:0:0', 0, -1).then((l) => l.length), 1);
  });
});

describe('leases at their limit, and a node that dies under blocked clients', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster(1, { limits: { maxLeasesPerNode: 2 } });
  });
  after(() => cluster.stop());

  it('a lease past limits.maxLeasesPerNode is refused with a clear error; a blocked client gets an error when its node dies', async () => {
    const a = cluster.client();
    const b = cluster.client();
    const waits = [a.blpop('l:a', 0), b.blpop('l:b', 0)];
    const settled = waits.map((p) => p.then(() => 'answered', (e: Error) => e.message));
    // Both leases are taken once a third blocking command is refused.
    const c = cluster.client();
    for (;;) {
      const refused = await c.blpop('l:c', 0.1).then(() => null, (e: Error) => e.message);
      if (refused !== null) {
        assert.match(refused, /has 2 connections leased to clients already \(limits.maxLeasesPerNode\)/);
        break;
      }
    }
    cluster.nodes[0].process.kill('SIGKILL');
    for (const outcome of await Promise.all(settled)) assert.match(outcome, /unavailable/);
  });
});

describe('a transaction whose keys move while it is open', () => {
  let cluster: TestCluster;
  let extra: RedisNode;

  before(async () => {
    cluster = await startCluster(2, { membership: { heartbeatMs: 100 } });
    extra = await startRedis();
  });
  after(async () => {
    await cluster.stop();
    await extra.stop();
  });

  it('is discarded at EXEC with an error saying so, rather than run on the old node', async () => {
    const redis = cluster.client();
    const { ring, addressOf } = await ringOf(redis);
    const next = Ring.build([...ring.members, { id: extra.address, weight: 1 }], 2);
    // A key the new node will own.
    let key = '';
    for (let i = 0; next.members[next.ownerOfString(key)].id !== extra.address; i++) key = `moving:${i}`;
    assert.ok(addressOf.size === 2);
    const raw = await RawConnection.connect(cluster.port);
    try {
      assert.deepEqual(await text(raw, [['MULTI'], ['SET', key, 'v']]), ['+OK\r\n', '+QUEUED\r\n']);
      assert.equal(await redis.call('JUPITER', 'ADDNODE', extra.address), 'OK');
      await waitStable(redis, 2);
      // A request on the same connection after the change: its snapshot is the new ring by then.
      assert.deepEqual(await text(raw, [['PING']]), ['+QUEUED\r\n']);
      assert.deepEqual(await text(raw, [['EXEC']]), ['-EXECABORT Transaction discarded: its keys moved to another node (membership change); run it again\r\n']);
    } finally {
      raw.close();
    }
    assert.equal(await redis.get(key), null);
  });
});
