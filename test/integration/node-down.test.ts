// Nodes that fail: a stopped node gives "unavailable" errors (never a hang) until it returns; a
// node that accepts connections but never answers gives "timed out" errors; the other nodes'
// keys keep working throughout.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startCluster, nodeActorsPlacement, type TestCluster } from '../helpers/cluster.js';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { startBlackhole, type Blackhole } from '../helpers/blackhole.js';
import { RawClient } from '../helpers/raw.js';
import { ownersOf, rejectionOf, sleep, within } from '../helpers/placement.js';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import { pino } from 'pino';
import { freePort } from '../helpers/ports.js';

const backend = { requestTimeoutMs: 500, connectTimeoutMs: 300, reconnectMaxDelayMs: 200 };
/**
 * The longest an error may take: far above the request timeout and the timeout check's granularity,
 * so that a loaded machine cannot miss it, and far below a hang.
 */
const ERROR_WITHIN_MS = backend.requestTimeoutMs + 5000;

/** Milliseconds a promise takes to settle, and how. */
async function timed<T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: Error }> {
  const start = Date.now();
  try {
    const value = await p;
    return { ms: Date.now() - start, value };
  } catch (error) {
    return { ms: Date.now() - start, error: error as Error };
  }
}

describe('a node that is stopped and restarted', () => {
  let cluster: TestCluster;
  let client: Redis;
  let directs: Redis[];
  let restarted: RedisNode | undefined;
  /** Key names owned by each node (by direct-client index). */
  const byNode: string[][] = [[], [], []];
  const DOWN = 2;

  before(async () => {
    cluster = await startCluster(3, { backend });
    client = cluster.client();
    directs = [0, 1, 2].map((i) => cluster.direct(i).on('error', () => {}));
    const keys = Array.from({ length: 60 }, (_, i) => `nd:${i}`);
    await client.mset(...keys.flatMap((k) => [k, `value-${k}`]));
    const owners = await ownersOf(directs, keys);
    keys.forEach((k, i) => byNode[owners[i]].push(k));
    for (const keysOnNode of byNode) assert.ok(keysOnNode.length >= 3, `uneven key spread ${byNode.map((b) => b.length)}`);
    directs[DOWN].disconnect();
    await cluster.nodes[DOWN].stop();
  });

  after(async () => {
    await cluster.stop();
    await restarted?.stop();
  });

  it('GET and SET for keys on the stopped node get an error containing "unavailable" promptly, never a hang', async () => {
    for (const key of byNode[DOWN].slice(0, 5)) {
      for (const call of [client.get(key), client.set(key, 'new')]) {
        const { ms, error, value } = await timed(within(call, ERROR_WITHIN_MS * 2, `command on ${key}`));
        assert.ok(error !== undefined, `command on ${key} succeeded with ${JSON.stringify(value)}`);
        assert.match(error.message, /^ERR node 127\.0\.0\.1:\d+ unavailable/);
        assert.ok(error.message.includes(cluster.nodes[DOWN].address), error.message);
        assert.ok(ms < ERROR_WITHIN_MS, `error took ${ms} ms`);
      }
    }
  });

  it('a pipeline mixing 100 commands for the stopped node with 100 for live nodes gets "unavailable" errors and values, each in its place', async () => {
    const pipeline = client.pipeline();
    const expected: (string | RegExp)[] = [];
    for (let i = 0; i < 200; i++) {
      const owner = i % 2 === 0 ? DOWN : i % 4 === 1 ? 0 : 1;
      const key = byNode[owner][i % byNode[owner].length];
      pipeline.get(key);
      expected.push(owner === DOWN ? /^ERR node 127\.0\.0\.1:\d+ unavailable/ : `value-${key}`);
    }
    const replies = (await within(pipeline.exec(), ERROR_WITHIN_MS * 2, 'pipeline'))!;
    assert.equal(replies.length, 200);
    replies.forEach(([error, value], i) => {
      const want = expected[i];
      if (typeof want === 'string') assert.equal(value, want, `reply ${i}`);
      else assert.match(String(error?.message), want, `reply ${i}`);
    });
  });

  it('keys on the other nodes keep working while the node is down', async () => {
    for (const node of [0, 1]) {
      for (const key of byNode[node]) assert.equal(await within(client.get(key), 1000), `value-${key}`);
      assert.equal(await within(client.set(byNode[node][0], 'updated'), 1000), 'OK');
      assert.equal(await within(client.get(byNode[node][0]), 1000), 'updated');
      await client.set(byNode[node][0], `value-${byNode[node][0]}`);
    }
  });

  it("a new ioredis client with default options connects and uses the other nodes' keys while a node is down", async () => {
    // ioredis checks readiness with INFO on connect; if INFO fails, the client never becomes ready.
    const fresh = cluster.client();
    const errors: string[] = [];
    fresh.on('error', (e: Error) => errors.push(e.message));
    const { value, error } = await timed(within(fresh.get(byNode[0][0]), 3000, 'GET on a fresh client'));
    assert.equal(error?.message, undefined, `connection errors: ${JSON.stringify(errors.slice(0, 3))}`);
    assert.equal(value, `value-${byNode[0][0]}`);
    fresh.disconnect();
  });

  it("INFO still answers with jupiter's own sections while a node is down", async () => {
    const { value, error } = await timed(within(client.info(), ERROR_WITHIN_MS, 'INFO'));
    assert.equal(error?.message, undefined);
    assert.match(String(value), /^# Server\r\n/);
    assert.match(String(value), /\r\n# Keyspace\r\n/);
  });

  it('MGET and DBSIZE touching the stopped node answer with its "unavailable" error, not a partial answer', async () => {
    const mget = await rejectionOf(client.mget(byNode[0][0], byNode[DOWN][0], byNode[1][0]), ERROR_WITHIN_MS, 'MGET');
    assert.match(mget.message, /unavailable/);
    const dbsize = await rejectionOf(client.dbsize(), ERROR_WITHIN_MS, 'DBSIZE');
    assert.match(dbsize.message, /unavailable/);
    assert.deepEqual(await client.mget(byNode[0][0], byNode[1][0]), [`value-${byNode[0][0]}`, `value-${byNode[1][0]}`]);
  });

  it('after the node restarts on the same port, its keys work again within a few seconds', async () => {
    restarted = await cluster.nodes[DOWN].restart();
    assert.equal(restarted.port, cluster.nodes[DOWN].port);
    const key = byNode[DOWN][0];
    const deadline = Date.now() + 5000;
    let lastError = '';
    for (;;) {
      const { value, error } = await timed(within(client.set(key, 'back'), ERROR_WITHIN_MS * 2, 'SET after restart'));
      if (value === 'OK') break;
      lastError = String(error?.message);
      assert.ok(Date.now() < deadline, `still failing 5 s after the restart: ${lastError}`);
      await sleep(50);
    }
    assert.equal(await client.get(key), 'back');
    // The restarted node is empty (no persistence); every key it owns is writable and readable again.
    for (const k of byNode[DOWN]) assert.equal(await client.set(k, `again-${k}`), 'OK');
    assert.deepEqual(
      await client.mget(...byNode[DOWN]),
      byNode[DOWN].map((k) => `again-${k}`),
    );
    const fresh = new Redis({ port: restarted.port, host: '127.0.0.1' });
    try {
      assert.equal(await fresh.get(key), `again-${key}`);
    } finally {
      fresh.disconnect();
    }
    assert.equal(await client.dbsize(), 60);
  });
});

describe('a node that accepts connections but never answers', () => {
  let redisNodes: RedisNode[];
  let hole: Blackhole;
  let proxy: Proxy;
  const clients: Redis[] = [];
  // enableReadyCheck: false because ioredis's ready check (INFO, fanned out to every node) fails
  // while any node is unreachable; that is tested above, here only the timeouts are.
  const newClient = (): Redis => {
    const r = new Redis({ port: proxy.port, host: '127.0.0.1', maxRetriesPerRequest: 1, enableReadyCheck: false });
    clients.push(r);
    return r;
  };
  /** Keys the silent node owns, and keys the real nodes own. */
  let silentKeys: string[] = [];
  let liveKeys: string[] = [];

  /** After a timeout the proxy drops the link and reconnects after a back-off; waits until it has. */
  async function silentNodeConnected(): Promise<void> {
    const deadline = Date.now() + 3000;
    for (;;) {
      const status = await proxy.status();
      if (status.nodes.find((n) => n.id === hole.address)?.up) return;
      assert.ok(Date.now() < deadline, `the proxy did not reconnect to the silent node: ${JSON.stringify(status)}`);
      await sleep(20);
    }
  }

  before(async () => {
    redisNodes = await Promise.all([startRedis(), startRedis()]);
    hole = await startBlackhole();
    proxy = await createProxy({
      port: 0,
      nodes: [redisNodes[0].address, redisNodes[1].address, hole.address],
      nodeActors: nodeActorsPlacement,
      log: { level: 'silent' },
      backend,
    });
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await proxy.stop(1000);
    await Promise.all(redisNodes.map((n) => n.stop()));
    await hole.close();
  });

  it('requests for its keys fail with an error containing "timed out" within about requestTimeoutMs; the rest succeed', async () => {
    const client = newClient();
    await client.ping();
    const keys = Array.from({ length: 60 }, (_, i) => `bh:${i}`);
    const outcomes = await within(
      Promise.all(keys.map((k) => timed(client.set(k, `v-${k}`)))),
      ERROR_WITHIN_MS * 3,
      'SETs',
    );
    silentKeys = keys.filter((_, i) => outcomes[i].error !== undefined);
    liveKeys = keys.filter((_, i) => outcomes[i].error === undefined);
    assert.ok(silentKeys.length > 0 && liveKeys.length > 0, `silent ${silentKeys.length}, live ${liveKeys.length}`);
    for (const o of outcomes) {
      if (o.error === undefined) {
        assert.equal(o.value, 'OK');
      } else {
        assert.equal(o.error.message, `ERR node ${hole.address} unavailable: request timed out`);
        assert.ok(o.ms >= backend.requestTimeoutMs - 50 && o.ms < ERROR_WITHIN_MS, `timed out after ${o.ms} ms`);
      }
    }
    assert.ok(hole.accepted() >= 1 && hole.bytesReceived() > 0, 'the silent node never got the requests');
    // The live keys really are on the real nodes, once each; the silent keys on neither.
    const directs = redisNodes.map((n) => {
      const r = new Redis({ port: n.port, host: '127.0.0.1' });
      clients.push(r);
      return r;
    });
    const perNode = await Promise.all(directs.map((r) => (liveKeys.length ? r.exists(...liveKeys) : 0)));
    assert.equal(perNode[0] + perNode[1], liveKeys.length);
    const silentFound = await Promise.all(directs.map((r) => r.exists(...silentKeys)));
    assert.deepEqual(silentFound, [0, 0]);
  });

  it('other keys answer at once on another connection while a request to the silent node is pending', async () => {
    const stuck = newClient();
    const other = newClient();
    await Promise.all([stuck.ping(), other.ping()]);
    await silentNodeConnected();
    let stuckSettled = false;
    const pending = timed(stuck.get(silentKeys[0])).finally(() => (stuckSettled = true));
    // The live keys are answered while the silent node's request is still pending: they do not
    // wait for its timeout.
    for (const k of liveKeys.slice(0, 10)) assert.equal(await other.get(k), `v-${k}`);
    assert.equal(await other.set(liveKeys[0], 'changed'), 'OK');
    assert.equal(stuckSettled, false, 'the request to the silent node settled before the live keys were answered');
    const { error, ms } = await pending;
    assert.equal(error?.message, `ERR node ${hole.address} unavailable: request timed out`);
    assert.ok(ms < ERROR_WITHIN_MS, `timed out after ${ms} ms`);
  });

  it('the silent node keeps timing out after each reconnect, and fails fast while reconnecting, never hanging', async () => {
    const client = newClient();
    for (let round = 0; round < 3; round++) {
      await silentNodeConnected();
      const stuck = await timed(within(client.get(silentKeys[round % silentKeys.length]), ERROR_WITHIN_MS * 2, 'GET'));
      assert.equal(stuck.error?.message, `ERR node ${hole.address} unavailable: request timed out`);
      assert.ok(stuck.ms >= backend.requestTimeoutMs - 50 && stuck.ms < ERROR_WITHIN_MS, `round ${round}: ${stuck.ms} ms`);
      // Right after the timeout the link is being re-established: an immediate error, or a timeout again.
      const next = await timed(within(client.get(silentKeys[0]), ERROR_WITHIN_MS * 2, 'GET'));
      assert.match(String(next.error?.message), new RegExp(`^ERR node ${hole.address.replace(/\./g, '\\.')} unavailable`));
      assert.ok(next.ms < ERROR_WITHIN_MS, `round ${round}: ${next.ms} ms`);
      assert.equal(await client.get(liveKeys[1]), `v-${liveKeys[1]}`);
    }
  });
});

describe('node links while the proxy\'s event loop is stalled', () => {
  let cluster: TestCluster;
  let second: Proxy | undefined;
  let raw: RawClient | undefined;

  /** Keeps this thread busy for ms: what a long GC pause, a huge merge or an embedding application can do. */
  const busy = (ms: number): void => {
    const end = Date.now() + ms;
    while (Date.now() < end);
  };

  before(async () => {
    cluster = await startCluster(1, { backend });
  });

  after(async () => {
    raw?.destroy();
    await second?.stop(1000);
    await cluster.stop();
  });

  it('a node reply that arrived during an event-loop stall longer than requestTimeoutMs is delivered, not failed as timed out', async () => {
    const client = cluster.client();
    assert.equal(await client.set('stall', 'x'), 'OK');
    // The node answers after 100 ms; the proxy's thread is busy from 20 ms to 820 ms. The reply is
    // waiting in the socket when the proxy wakes up: the node did answer, well within the timeout.
    const spin = "local s=redis.call('TIME') repeat local n=redis.call('TIME') until (n[1]-s[1])*1000000+(n[2]-s[2]) > 100000 return 'done'";
    const reply = timed(client.eval(spin, 0, 'hash=stall'));
    setTimeout(() => setImmediate(() => busy(800)), 20);
    const { value, error } = await reply;
    assert.equal(error?.message, undefined);
    assert.equal(value, 'done');
    assert.equal(await client.get('stall'), 'x');
  });

  it('a node connection that completed during an event-loop stall longer than connectTimeoutMs is used, not declared unavailable', async () => {
    // createProxy starts connecting to the node before its first await; the thread then stays busy
    // past connectTimeoutMs while the (local, instant) connection completes.
    const starting = createProxy({
      port: 0,
      nodes: [cluster.nodes[0].address],
      nodeActors: nodeActorsPlacement,
      log: { level: 'silent' },
      backend,
    });
    busy(backend.connectTimeoutMs + 400);
    second = await starting;
    raw = await RawClient.connect(second.port);
    await raw.write('*2\r\n$3\r\nGET\r\n$5\r\nstall\r\n');
    assert.equal(await raw.readLike('$1\r\nx\r\n'), '$1\r\nx\r\n');
  });
});

describe('a node address where nothing listens (a typo, a wrong port)', () => {
  let live: RedisNode;
  let proxy: Proxy;
  const lines: { msg: string; node?: string; reason?: string; level: number }[] = [];
  let closedPort: number;

  before(async () => {
    live = await startRedis();
    closedPort = await freePort();
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    proxy = await createProxy(
      { port: 0, nodes: [live.address, `127.0.0.1:${closedPort}`], nodeActors: nodeActorsPlacement, backend },
      { logger },
    );
  });
  after(async () => {
    await proxy.stop(1000);
    await live.stop();
  });

  it('is logged as down with the reason, once, though it was never up', async () => {
    const address = `127.0.0.1:${closedPort}`;
    const downLines = () => lines.filter((l) => l.msg === 'node down' && l.node === address);
    while (downLines().length === 0) await sleep(20);
    assert.equal(downLines()[0].reason, 'connection failed: ECONNREFUSED');
    assert.equal(downLines()[0].level, 40, 'logged as a warning');
    // The proxy keeps retrying (back-off up to reconnectMaxDelayMs); wait for a few more attempts' worth.
    const status = async () => (await proxy.status()).nodes.find((n) => n.id === address)!;
    assert.equal((await status()).up, false);
    await sleep(backend.reconnectMaxDelayMs * 3);
    assert.equal(downLines().length, 1, 'reported once, not once per retry');
  });
});
