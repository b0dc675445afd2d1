// Tracing end to end: jupiter with its own SDK and the real OTLP/HTTP exporter, sending JSON to a
// small OTLP receiver on a free local port (the collector's place). Each test sends commands
// through ioredis and checks the span tree that arrives: names, kinds, parent links, attributes,
// status. Keys are recorded here (tracing.recordKeys) so each test finds its own command's spans.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { startOtlpReceiver, KIND, STATUS, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { ownersOf, sleep } from '../helpers/placement.js';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';

/** A command's spans: its SERVER span, and the hops and round trips under it. */
interface Tree {
  readonly server: ReceivedSpan;
  readonly hops: ReceivedSpan[];
  /** CLIENT spans, by the hop they belong to (same order as hops). */
  readonly clients: ReceivedSpan[][];
}

function treeOf(spans: readonly ReceivedSpan[], server: ReceivedSpan): Tree {
  const hops = spans.filter((s) => s.parentSpanId === server.spanId && s.traceId === server.traceId);
  return { server, hops, clients: hops.map((h) => spans.filter((s) => s.parentSpanId === h.spanId)) };
}

describe('spans exported over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  let cluster: TestCluster;
  let client: Redis;
  /** Key names owned by each node (by index of cluster.nodes). */
  const byNode: string[][] = [[], [], []];

  /** Waits for the SERVER span whose query text is `query` and for every span of its tree to end. */
  async function tree(query: string, hops: number, clientsPerHop: number[]): Promise<Tree> {
    let found: Tree | undefined;
    await receiver.waitFor((spans) => {
      const server = spans.find((s) => s.kind === KIND.SERVER && s.attributes['db.query.text'] === query);
      if (server === undefined) return false;
      const t = treeOf(spans, server);
      if (t.hops.length < hops || t.clients.some((c, i) => c.length < clientsPerHop[i])) return false;
      found = t;
      return true;
    });
    return found!;
  }

  before(async () => {
    receiver = await startOtlpReceiver();
    process.env.OTEL_BSP_SCHEDULE_DELAY = '20';
    cluster = await startCluster(
      3,
      {
        backend: { requestTimeoutMs: 500, connectTimeoutMs: 300, reconnectMaxDelayMs: 200 },
        tracing: { sampleRatio: 1, recordKeys: true, endpoint: receiver.url },
      },
      { installTracing: true },
    );
    client = cluster.client();
    const directs = [0, 1, 2].map((i) => cluster.direct(i));
    const keys = Array.from({ length: 30 }, (_, i) => `tr:${i}`);
    await client.mset(...keys.flatMap((k) => [k, `value-of-${k}`]));
    const owners = await ownersOf(directs, keys);
    keys.forEach((k, i) => byNode[owners[i]].push(k));
    assert.ok(byNode.every((keysOnNode) => keysOnNode.length > 0), 'every node owns a key');
    for (const d of directs) d.disconnect();
  });

  after(async () => {
    await cluster.stop();
    await receiver.close();
  });

  it('a GET arrives as a SERVER span with a hop to its node and a CLIENT round trip, by the database conventions', async () => {
    const key = byNode[1][0];
    assert.equal(await client.get(key), `value-of-${key}`);
    const { server, hops, clients } = await tree(`GET ${key}`, 1, [1]);
    const node = cluster.nodes[1];

    assert.equal(server.name, 'GET');
    assert.equal(server.kind, KIND.SERVER);
    assert.equal(server.parentSpanId, undefined);
    assert.equal(server.status.code, STATUS.UNSET);
    assert.equal(server.attributes['db.system.name'], 'redis');
    assert.equal(server.attributes['db.operation.name'], 'GET');
    assert.equal(server.attributes['server.port'], cluster.port);
    assert.equal(server.attributes['client.address'], '127.0.0.1');
    assert.deepEqual(server.events.map((e) => e.name), ['routed']);
    assert.equal(server.resource['service.name'], 'jupiter');
    assert.equal(typeof server.resource['service.version'], 'string');
    assert.match(String(server.resource['service.instance.id']), /^[0-9a-f-]{36}$/);
    assert.equal(server.scope, 'jupiter');

    assert.equal(hops.length, 1);
    const [hop] = hops;
    assert.equal(hop.kind, KIND.INTERNAL);
    assert.equal(hop.name, `route ${node.address}`);
    assert.equal(hop.attributes['jupiter.node'], node.address);
    assert.equal(typeof hop.attributes['jupiter.ring.epoch'], 'number');
    assert.equal(typeof hop.attributes['jupiter.queue.depth'], 'number');
    assert.ok(Number(hop.attributes['jupiter.queue.wait_ms']) >= 0);
    assert.deepEqual(hop.events.map((e) => e.name), ['enqueued', 'written']);
    // The NodeActor may run in a worker thread: its spans still share the command's trace and instance.
    assert.equal(hop.resource['service.instance.id'], server.resource['service.instance.id']);

    assert.equal(clients[0].length, 1);
    const [round] = clients[0];
    assert.equal(round.name, 'GET');
    assert.equal(round.kind, KIND.CLIENT);
    assert.equal(round.traceId, server.traceId);
    assert.deepEqual(
      {
        system: round.attributes['db.system.name'],
        operation: round.attributes['db.operation.name'],
        namespace: round.attributes['db.namespace'],
        address: round.attributes['server.address'],
        port: round.attributes['server.port'],
        query: round.attributes['db.query.text'],
      },
      { system: 'redis', operation: 'GET', namespace: '0', address: '127.0.0.1', port: node.port, query: `GET ${key}` },
    );
    assert.equal(round.status.code, STATUS.UNSET);
    // Time nests: command, then hop, then round trip.
    assert.ok(server.startNs <= hop.startNs && hop.startNs <= round.startNs && round.endNs <= hop.endNs && hop.endNs <= server.endNs);
  });

  it('an MGET split over three nodes shows one hop and one round trip per node, and no values', async () => {
    const keys = [byNode[0][0], byNode[1][0], byNode[2][0]];
    assert.deepEqual(await client.mget(...keys), keys.map((k) => `value-of-${k}`));
    const { server, hops, clients } = await tree(`MGET ${keys.join(' ')}`, 3, [1, 1, 1]);
    assert.equal(server.name, 'MGET');
    assert.equal(server.attributes['jupiter.parts'], 3);
    assert.equal(hops.length, 3);
    assert.deepEqual(hops.map((h) => h.attributes['jupiter.node']).sort(), cluster.nodes.map((n) => n.address).sort());
    const rounds = clients.map((c) => {
      assert.equal(c.length, 1);
      return c[0];
    });
    assert.ok(rounds.every((r) => r.name === 'MGET' && r.kind === KIND.CLIENT && r.attributes['db.operation.name'] === 'MGET'));
    assert.deepEqual(rounds.map((r) => r.attributes['server.port']).sort(), cluster.nodes.map((n) => n.port).sort());
    hops.forEach((hop, i) => {
      const owner = cluster.nodes.findIndex((n) => n.address === hop.attributes['jupiter.node']);
      assert.equal(rounds[i].attributes['server.port'], cluster.nodes[owner].port, 'each round trip sits under the hop to its node');
      assert.equal(rounds[i].attributes['db.query.text'], `MGET ${keys[owner]}`, 'each part carries only its own keys');
    });
    const everything = JSON.stringify(receiver.spans(), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    assert.ok(!everything.includes('value-of-'), 'no value appears in any span');
  });

  it("a traceparent= argument is stripped and makes jupiter's spans children of the client's span", async () => {
    const key = byNode[0][1] ?? byNode[0][0];
    const reply = await client.call('GET', key, `traceparent=00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`);
    assert.equal(reply, `value-of-${key}`);
    const { server, hops, clients } = await waitForTrace(CLIENT_TRACE);
    assert.equal(server.traceId, CLIENT_TRACE);
    assert.equal(server.parentSpanId, CLIENT_SPAN);
    assert.equal(hops[0].traceId, CLIENT_TRACE);
    assert.equal(clients[0][0].traceId, CLIENT_TRACE);
    assert.equal(clients[0][0].attributes['db.query.text'], `GET ${key}`, 'the option is not sent to Redis');
  });

  /** The tree of the SERVER span in trace `traceId`, once it is complete. */
  async function waitForTrace(traceId: string): Promise<Tree> {
    let found: Tree | undefined;
    await receiver.waitFor((spans) => {
      const server = spans.find((s) => s.kind === KIND.SERVER && s.traceId === traceId);
      if (server === undefined) return false;
      const t = treeOf(spans, server);
      if (t.hops.length < 1 || t.clients[0].length < 1) return false;
      found = t;
      return true;
    });
    return found!;
  }

  it('an error reply from Redis sets the error status and db.response.status_code on the round trip and the command', async () => {
    const key = byNode[2][0];
    await client.call('LPUSH', `list:${key}`, 'x', 'hash=' + key);
    await assert.rejects(client.call('GET', `list:${key}`, `hash=${key}`), /WRONGTYPE/);
    const { server, clients } = await tree(`GET list:${key}`, 1, [1]);
    for (const s of [server, clients[0][0]]) {
      assert.equal(s.status.code, STATUS.ERROR);
      assert.match(s.status.message ?? '', /^WRONGTYPE /);
      assert.equal(s.attributes['db.response.status_code'], 'WRONGTYPE');
      assert.equal(s.attributes['error.type'], 'WRONGTYPE');
    }
  });

  it("a transaction's EXEC makes its round trip on the leased connection; a blocking command's round trip lasts as long as it blocked", async () => {
    const key = byNode[0][1];
    assert.deepEqual(await client.multi().set(key, 'in-tx').get(key).exec(), [
      [null, 'OK'],
      [null, 'in-tx'],
    ]);
    const exec = await tree('EXEC', 1, [1]);
    assert.equal(exec.clients[0][0].kind, KIND.CLIENT);
    assert.equal(exec.clients[0][0].attributes['db.operation.name'], 'EXEC');
    assert.equal(exec.clients[0][0].attributes['server.port'], cluster.nodes[0].port);
    assert.equal(await client.blpop('tr:blocked', 0.3), null);
    const blpop = await tree('BLPOP tr:blocked ?', 1, [1]);
    const waited = Number(blpop.clients[0][0].endNs - blpop.clients[0][0].startNs) / 1e6;
    assert.ok(waited >= 250, `the round trip lasted ${waited} ms`);
  });

  it('BLOB.GET is a SERVER span with a blob.read child (size, chunks), under which jupiter traces one round trip per node per MGET, not one per chunk', async () => {
    const data = Buffer.alloc(10 * 64 * 1024, 7);
    assert.equal(await client.call('BLOB.PUT', 'traced-blob', data), 'OK');
    assert.deepEqual(await client.callBuffer('BLOB.GET', 'traced-blob'), data);
    const descendants = (spans: readonly ReceivedSpan[], root: ReceivedSpan): ReceivedSpan[] => {
      const children = spans.filter((s) => s.parentSpanId === root.spanId && s.traceId === root.traceId);
      return children.flatMap((c) => [c, ...descendants(spans, c)]);
    };
    let read: ReceivedSpan | undefined;
    let below: ReceivedSpan[] = [];
    await receiver.waitFor((spans) => {
      const get = spans.find((s) => s.kind === KIND.SERVER && s.name === 'BLOB.GET');
      read = get === undefined ? undefined : spans.find((s) => s.parentSpanId === get.spanId && s.name === 'blob.read');
      if (read === undefined) return false;
      below = descendants(spans, read);
      return below.some((s) => s.kind === KIND.CLIENT && s.attributes['db.operation.name'] === 'MGET');
    });
    assert.equal(read!.attributes['jupiter.blob.size'], data.length);
    assert.equal(read!.attributes['jupiter.blob.chunks'], 10);
    // BLOB.GET streams windows of 4 chunks: 3 MGETs for 10 chunks, each at most one round trip per node.
    const tripsOf = (spans: readonly ReceivedSpan[], mget: ReceivedSpan): number => descendants(spans, mget).filter((s) => s.kind === KIND.CLIENT).length;
    // Every round trip of each MGET has arrived (a worker thread exports its own spans).
    const all = await receiver.waitFor((spans) => {
      const mgets = descendants(spans, read!).filter((s) => s.kind === KIND.SERVER && s.name === 'MGET');
      return mgets.length === 3 && mgets.every((m) => tripsOf(spans, m) === m.attributes['jupiter.parts']);
    });
    for (const mget of descendants(all, read!).filter((s) => s.kind === KIND.SERVER && s.name === 'MGET')) {
      const trips = tripsOf(all, mget);
      assert.ok(trips >= 1 && trips <= 3, `${trips} round trips for one MGET, one per node at most`);
    }
    const write = (await receiver.waitFor((spans) => spans.some((s) => s.name === 'blob.write'))).find((s) => s.name === 'blob.write')!;
    assert.equal(write.attributes['jupiter.blob.chunks'], 10);
  });

  it('a command to a node that is down fails its hop span and its SERVER span, and makes no round trip', async () => {
    const down = 2;
    const key = byNode[down][0];
    await cluster.nodes[down].stop();
    for (let i = 0; ; i++) {
      const status = await cluster.proxy.status();
      if (!status.nodes.find((n) => n.id === cluster.nodes[down].address)!.up) break;
      assert.ok(i < 100, 'the proxy notices the node is down');
      await sleep(20);
    }
    await assert.rejects(client.get(key), /unavailable/);
    const { server, hops, clients } = await tree(`GET ${key}`, 1, [0]);
    assert.equal(server.status.code, STATUS.ERROR);
    assert.equal(server.attributes['db.response.status_code'], 'ERR');
    assert.match(server.status.message ?? '', /unavailable/);
    assert.equal(hops.length, 1);
    assert.equal(hops[0].status.code, STATUS.ERROR);
    assert.equal(hops[0].attributes['error.type'], 'node_unavailable');
    assert.deepEqual(clients, [[]]);
  });
});
