// Tracing through the proxy with the application's own SDK (registered before the proxy starts)
// and the in-memory exporter: the exact attribute set of each span, sampling, and tracing that is
// switched off. NodeActors run on the main thread here, where the in-memory exporter is.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AlwaysOnSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { sleep } from '../helpers/placement.js';

const exporter = new InMemorySpanExporter();
const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

/** Waits until `count` spans matching `filter` have ended. */
async function ended(filter: (s: ReadableSpan) => boolean, count: number): Promise<ReadableSpan[]> {
  for (let i = 0; i < 1000; i++) {
    const found = spans().filter(filter);
    if (found.length >= count) return found;
    await sleep(10);
  }
  throw new Error(`expected ${count} spans, got ${spans().filter(filter).length} of ${spans().map((s) => s.name).join(', ')}`);
}

const childrenOf = (parent: ReadableSpan): ReadableSpan[] => spans().filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

before(() => {
  new NodeTracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  }).register();
});

describe('every command traced (sampleRatio 1)', () => {
  let cluster: TestCluster;
  let client: Redis;

  before(async () => {
    cluster = await startCluster(3, { nodeActors: 'main', tracing: { sampleRatio: 1 } });
    client = cluster.client();
    await client.ping();
  });
  after(() => cluster.stop());
  beforeEach(() => exporter.reset());

  it('a GET has exactly the documented attributes on its SERVER, INTERNAL and CLIENT spans', async () => {
    const id = Number(await client.call('CLIENT', 'ID'));
    await client.set('attr:k', 'v');
    exporter.reset();
    await client.get('attr:k');
    const [server] = await ended((s) => s.kind === SpanKind.SERVER && s.name === 'GET', 1);
    const [hop] = await ended((s) => s.parentSpanContext?.spanId === server.spanContext().spanId, 1);
    const [round] = await ended((s) => s.parentSpanContext?.spanId === hop.spanContext().spanId, 1);
    const node = cluster.nodes.find((n) => n.address === hop.attributes['jupiter.node'])!;
    assert.ok(node !== undefined, `jupiter.node ${String(hop.attributes['jupiter.node'])} is one of the nodes`);

    assert.deepEqual(server.attributes, {
      'db.system.name': 'redis',
      'db.operation.name': 'GET',
      'db.namespace': '0',
      'jupiter.client.id': id,
      'client.address': '127.0.0.1',
      'client.port': client.stream.localPort,
      'server.port': cluster.port,
      'jupiter.ring.epoch': 1,
      'jupiter.parts': 1,
    });
    assert.equal(hop.name, `route ${node.address}`);
    assert.equal(hop.kind, SpanKind.INTERNAL);
    const { 'jupiter.hop_ms': hopMs, 'jupiter.queue.wait_ms': waitMs, ...fixed } = hop.attributes;
    assert.deepEqual(fixed, { 'jupiter.node': node.address, 'jupiter.ring.epoch': 1, 'jupiter.queue.depth': 0 });
    assert.ok(typeof hopMs === 'number' && hopMs >= 0 && typeof waitMs === 'number' && waitMs >= 0);
    assert.equal(round.name, 'GET');
    assert.equal(round.kind, SpanKind.CLIENT);
    assert.deepEqual(round.attributes, {
      'db.system.name': 'redis',
      'db.operation.name': 'GET',
      'db.namespace': '0',
      'server.address': '127.0.0.1',
      'server.port': node.port,
    });
    assert.ok([server, hop, round].every((s) => s.status.code === SpanStatusCode.UNSET));
    assert.ok(!('db.query.text' in server.attributes), 'keys are not recorded unless configured');
  });

  it('a command answered by jupiter itself has a SERVER span and no children', async () => {
    await client.echo('hello');
    const [server] = await ended((s) => s.kind === SpanKind.SERVER && s.name === 'ECHO', 1);
    assert.deepEqual(childrenOf(server), []);
    assert.equal(server.attributes['jupiter.parts'], undefined);
  });

  it('an unknown command is one UNKNOWN SERVER span with the error status, without the arguments', async () => {
    await assert.rejects(client.call('NOSUCHCMD', 'secret-arg'), /unknown command/);
    const [server] = await ended((s) => s.kind === SpanKind.SERVER && s.name === 'UNKNOWN', 1);
    assert.equal(server.status.code, SpanStatusCode.ERROR);
    assert.equal(server.status.message, "ERR unknown command 'NOSUCHCMD'");
    assert.equal(server.attributes['db.response.status_code'], 'ERR');
    assert.ok(!JSON.stringify(spans().map((s) => [s.attributes, s.status, s.events])).includes('secret-arg'));
  });

  it('each of 200 pipelined commands gets its own complete span tree', async () => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 200; i++) pipeline.get(`pipe:${i}`);
    await pipeline.exec();
    const servers = await ended((s) => s.kind === SpanKind.SERVER && s.name === 'GET', 200);
    await ended((s) => s.kind === SpanKind.CLIENT, 200);
    for (const server of servers) {
      const hops = childrenOf(server);
      assert.equal(hops.length, 1);
      assert.equal(childrenOf(hops[0]).length, 1);
    }
    assert.equal(new Set(servers.map((s) => s.spanContext().traceId)).size, 200, 'one trace per command');
  });
});

describe('sampling', () => {
  let cluster: TestCluster;
  let client: Redis;

  before(async () => {
    cluster = await startCluster(3, { nodeActors: 'main', tracing: { sampleRatio: 0 } });
    client = cluster.client();
    await client.ping();
  });
  after(() => cluster.stop());
  beforeEach(() => exporter.reset());

  it('at ratio 0 commands without a trace context make no spans', async () => {
    for (let i = 0; i < 50; i++) await client.get(`s:${i}`);
    // A sampled command last: once its spans are in, any span of the 50 before it would be too.
    await client.call('GET', 's:last', `traceparent=00-${TRACE}-${PARENT}-01`);
    await ended((s) => s.kind === SpanKind.SERVER, 1);
    await ended((s) => s.kind === SpanKind.CLIENT, 1);
    assert.deepEqual(
      [...new Set(spans().map((s) => s.spanContext().traceId))],
      [TRACE],
      'a span of an unsampled command',
    );
    assert.equal(spans().filter((s) => s.kind === SpanKind.SERVER).length, 1);
  });

  it("a client's sampled traceparent is traced at any ratio; an unsampled one is not", async () => {
    await client.call('GET', 's:1', `traceparent=00-${TRACE}-${PARENT}-00`);
    await client.call('GET', 's:1', `traceparent=00-${TRACE}-${PARENT}-01`);
    const [server] = await ended((s) => s.kind === SpanKind.SERVER, 1);
    await ended((s) => s.kind === SpanKind.CLIENT, 1);
    assert.equal(server.spanContext().traceId, TRACE);
    assert.equal(server.parentSpanContext?.spanId, PARENT);
    assert.equal(spans().filter((s) => s.kind === SpanKind.SERVER).length, 1);
  });
});

describe('tracing switched off in the configuration', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster(3, { nodeActors: 'main', tracing: { enabled: false, sampleRatio: 1 } });
  });
  after(() => cluster.stop());
  beforeEach(() => exporter.reset());

  it('makes no spans even with an SDK registered and a sampled traceparent', async () => {
    const client = cluster.client();
    await client.mget('a', 'b', 'c');
    await client.call('GET', 'a', `traceparent=00-${TRACE}-${PARENT}-01`);
    // A span of the test's own, ended after the commands were answered: once it is exported, any
    // span of the proxy's would have been too.
    trace.getTracer('test').startSpan('marker').end();
    await ended((s) => s.name === 'marker', 1);
    assert.deepEqual(
      spans().map((s) => s.name),
      ['marker'],
    );
  });
});
