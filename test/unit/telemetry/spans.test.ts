// The span-building hooks on their own, with the SDK's in-memory exporter: which spans a traced
// command makes on its ConnectionActor and NodeActor, their kinds, parents and exact attributes.
import { describe, test, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AlwaysOnSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Tracing } from '../../../src/telemetry/tracing.js';
import { BackendTracing } from '../../../src/telemetry/backend.js';
import type { ConnectionTracing } from '../../../src/telemetry/server.js';
import { encodeCommand } from '../../../src/protocol/encode.js';
import { EncodedRequest } from '../../../src/routing/request.js';

const exporter = new InMemorySpanExporter();
const prefixes = ['hash=', 'index=', 'traceparent='];
const client = { id: 7, address: '127.0.0.1', port: 50000, serverPort: 6380 };
const node = { id: '127.0.0.1:7001', host: '127.0.0.1', port: 7001 };
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

const view = (...args: string[]): EncodedRequest => new EncodedRequest(args);
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const spanNamed = (name: string, kind: SpanKind): ReadableSpan => {
  const found = exporter.getFinishedSpans().filter((s) => s.name === name && s.kind === kind);
  assert.equal(found.length, 1, `one ${name} span of kind ${kind}, got ${found.length}`);
  return found[0];
};
const connection = (options: { sampleRatio?: number; recordKeys?: boolean } = {}): ConnectionTracing =>
  Tracing.create({ enabled: true, sampleRatio: options.sampleRatio ?? 1, recordKeys: options.recordKeys ?? false }, prefixes)!.forConnection(client)!;

/** One command through both hooks: routed, sent to a node, written, answered, written back. */
function roundTrip(conn: ConnectionTracing, req: EncodedRequest, reply: string, traceparent?: string, sent: Uint8Array = req.raw): void {
  conn.arrived();
  const traced = conn.begin(req, traceparent, 0, 3);
  assert.ok(traced !== undefined, 'the command is traced');
  const backend = new BackendTracing(node);
  const hop = backend.arrived(traced.part(sent), 2);
  assert.equal(backend.waiting, true);
  backend.written();
  assert.equal(backend.waiting, false);
  backend.replied(hop, b(reply));
  conn.written(0, [b(reply)], 1);
  assert.equal(conn.pending, 0);
}

describe('before any tracer provider is registered', () => {
  test('tracing switched off in the configuration gives no tracer at all', () => {
    assert.equal(Tracing.create({ enabled: false, recordKeys: false }, prefixes), null);
  });

  test('without a registered tracer provider a connection gets no tracing', () => {
    assert.equal(Tracing.create({ enabled: true, sampleRatio: 1, recordKeys: false }, prefixes)!.forConnection(client), null);
  });
});

describe('with an SDK and the in-memory exporter', () => {
  before(() => {
    const provider = new NodeTracerProvider({
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    provider.register();
  });

  beforeEach(() => exporter.reset());

  test('a GET makes a SERVER span, an INTERNAL hop span under it and a CLIENT span under that, with exactly these attributes', () => {
    roundTrip(connection(), view('GET', 'user:1'), '$5\r\nhello\r\n');
    const server = spanNamed('GET', SpanKind.SERVER);
    const hop = spanNamed('route 127.0.0.1:7001', SpanKind.INTERNAL);
    const clientSpan = spanNamed('GET', SpanKind.CLIENT);
    assert.equal(server.parentSpanContext, undefined);
    assert.equal(hop.parentSpanContext?.spanId, server.spanContext().spanId);
    assert.equal(clientSpan.parentSpanContext?.spanId, hop.spanContext().spanId);
    assert.equal(new Set([server, hop, clientSpan].map((s) => s.spanContext().traceId)).size, 1);

    assert.deepEqual(server.attributes, {
      'db.system.name': 'redis',
      'db.operation.name': 'GET',
      'db.namespace': '0',
      'jupiter.client.id': 7,
      'client.address': '127.0.0.1',
      'client.port': 50000,
      'server.port': 6380,
      'jupiter.ring.epoch': 3,
      'jupiter.parts': 1,
    });
    assert.deepEqual(server.events.map((e) => e.name), ['routed']);
    assert.deepEqual(Object.keys(hop.attributes).sort(), ['jupiter.hop_ms', 'jupiter.node', 'jupiter.queue.depth', 'jupiter.queue.wait_ms', 'jupiter.ring.epoch']);
    assert.equal(hop.attributes['jupiter.node'], '127.0.0.1:7001');
    assert.equal(hop.attributes['jupiter.queue.depth'], 2);
    assert.equal(hop.attributes['jupiter.ring.epoch'], 3);
    assert.ok((hop.attributes['jupiter.queue.wait_ms'] as number) >= 0);
    assert.ok((hop.attributes['jupiter.hop_ms'] as number) >= 0);
    assert.deepEqual(hop.events.map((e) => e.name), ['enqueued', 'written']);
    assert.deepEqual(clientSpan.attributes, {
      'db.system.name': 'redis',
      'db.operation.name': 'GET',
      'db.namespace': '0',
      'server.address': '127.0.0.1',
      'server.port': 7001,
    });
    for (const s of [server, hop, clientSpan]) assert.equal(s.status.code, SpanStatusCode.UNSET);
  });

  test('spans nest in time: the hop inside the command, the round trip inside the hop', () => {
    roundTrip(connection(), view('GET', 'k'), '$-1\r\n');
    const ns = (t: [number, number]): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
    const server = spanNamed('GET', SpanKind.SERVER);
    const hop = spanNamed('route 127.0.0.1:7001', SpanKind.INTERNAL);
    const clientSpan = spanNamed('GET', SpanKind.CLIENT);
    assert.ok(ns(server.startTime) <= ns(hop.startTime));
    assert.ok(ns(hop.startTime) <= ns(clientSpan.startTime));
    assert.ok(ns(clientSpan.endTime) <= ns(hop.endTime));
    assert.ok(ns(hop.endTime) <= ns(server.endTime));
  });

  test('with keys recorded, the query text names the keys and never the values', () => {
    // The router strips the traceparent= option before the request is sent on.
    const sent = encodeCommand(['SET', 'user:1', 'secret-value']);
    roundTrip(connection({ recordKeys: true }), view('SET', 'user:1', 'secret-value', 'traceparent=00-x'), '+OK\r\n', undefined, sent);
    assert.equal(spanNamed('SET', SpanKind.SERVER).attributes['db.query.text'], 'SET user:1 ?');
    assert.equal(spanNamed('SET', SpanKind.CLIENT).attributes['db.query.text'], 'SET user:1 ?');
    assert.ok(!JSON.stringify(exporter.getFinishedSpans().map((s) => [s.attributes, s.events])).includes('secret-value'));
  });

  test('an error reply from Redis marks the CLIENT and SERVER spans failed with its prefix', () => {
    const reply = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
    roundTrip(connection(), view('GET', 'list'), reply);
    for (const s of [spanNamed('GET', SpanKind.CLIENT), spanNamed('GET', SpanKind.SERVER)]) {
      assert.equal(s.status.code, SpanStatusCode.ERROR);
      assert.equal(s.status.message, 'WRONGTYPE Operation against a key holding the wrong kind of value');
      assert.equal(s.attributes['db.response.status_code'], 'WRONGTYPE');
      assert.equal(s.attributes['error.type'], 'WRONGTYPE');
    }
    assert.equal(spanNamed('route 127.0.0.1:7001', SpanKind.INTERNAL).status.code, SpanStatusCode.UNSET);
  });

  test('a request refused by a down node fails its hop span; it never gets a CLIENT span', () => {
    const conn = connection();
    conn.arrived();
    const traced = conn.begin(view('GET', 'k'), undefined, 0, 1)!;
    const error = b('-ERR node 127.0.0.1:7001 unavailable\r\n');
    new BackendTracing(node).refused(traced.part(b('')), 0, 'node_unavailable', error);
    conn.written(0, [error], 1);
    const hop = spanNamed('route 127.0.0.1:7001', SpanKind.INTERNAL);
    assert.equal(hop.status.code, SpanStatusCode.ERROR);
    assert.equal(hop.status.message, 'ERR node 127.0.0.1:7001 unavailable');
    assert.equal(hop.attributes['error.type'], 'node_unavailable');
    assert.equal(exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT).length, 0);
    assert.equal(spanNamed('GET', SpanKind.SERVER).attributes['db.response.status_code'], 'ERR');
  });

  test('a request that times out on the socket fails its CLIENT span with error.type timeout', () => {
    const conn = connection();
    conn.arrived();
    const traced = conn.begin(view('GET', 'k'), undefined, 0, 1)!;
    const backend = new BackendTracing(node);
    const hop = backend.arrived(traced.part(b('')), 0);
    backend.written();
    backend.failed(hop, 'timeout', b('-ERR node 127.0.0.1:7001 unavailable: request timed out\r\n'));
    const clientSpan = spanNamed('GET', SpanKind.CLIENT);
    assert.equal(clientSpan.status.code, SpanStatusCode.ERROR);
    assert.equal(clientSpan.attributes['error.type'], 'timeout');
    assert.equal(clientSpan.attributes['db.response.status_code'], undefined);
  });

  test('a failed request that was never written gets no CLIENT span when the socket is written later', () => {
    const conn = connection();
    conn.arrived();
    const backend = new BackendTracing(node);
    const hop = backend.arrived(conn.begin(view('GET', 'k'), undefined, 0, 1)!.part(b('')), 0);
    backend.failed(hop, 'node_unavailable', b('-ERR node 127.0.0.1:7001 unavailable\r\n'));
    backend.written();
    assert.equal(exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT).length, 0);
  });

  test("a client's sampled traceparent makes the SERVER span its child, whatever the ratio", () => {
    roundTrip(connection({ sampleRatio: 0 }), view('GET', 'k'), '$-1\r\n', `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`);
    const server = spanNamed('GET', SpanKind.SERVER);
    assert.equal(server.spanContext().traceId, CLIENT_TRACE);
    assert.equal(server.parentSpanContext?.spanId, CLIENT_SPAN);
    assert.equal(spanNamed('GET', SpanKind.CLIENT).spanContext().traceId, CLIENT_TRACE);
  });

  test("a client's unsampled traceparent, or ratio 0 without one, traces nothing", () => {
    const conn = connection({ sampleRatio: 0 });
    assert.equal(conn.begin(view('GET', 'k'), `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00`, 0, 1), undefined);
    assert.equal(conn.begin(view('GET', 'k'), undefined, 1, 1), undefined);
    assert.equal(conn.begin(view('GET', 'k'), 'not-a-traceparent', 2, 1), undefined);
    assert.equal(conn.pending, 0);
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  test('a split command counts its parts; each part carries its own keys', () => {
    const conn = connection({ recordKeys: true });
    conn.arrived();
    const traced = conn.begin(view('MGET', 'a', 'b', 'c'), undefined, 0, 1)!;
    const parts = [traced.part(encodeCommand(['MGET', 'a', 'c'])), traced.part(encodeCommand(['MGET', 'b']))];
    assert.deepEqual(parts.map((p) => p.query), ['MGET a c', 'MGET b']);
    assert.ok(parts.every((p) => p.operation === 'MGET'));
    conn.written(0, [b('*0\r\n')], 1);
    assert.equal(spanNamed('MGET', SpanKind.SERVER).attributes['jupiter.parts'], 2);
  });

  test('replies written for several slots end exactly the traced ones', () => {
    const conn = connection();
    conn.arrived();
    conn.begin(view('GET', 'a'), undefined, 5, 1);
    conn.begin(view('GET', 'b'), undefined, 7, 1);
    conn.written(4, [b('+OK\r\n'), b('-ERR x\r\n'), b('+OK\r\n')], 3);
    assert.equal(conn.pending, 1);
    assert.equal(exporter.getFinishedSpans().length, 1);
    conn.written(7, [b('+OK\r\n')], 1);
    assert.equal(conn.pending, 0);
  });

  test('a connection that closes ends its waiting SERVER spans as failed', () => {
    const conn = connection();
    conn.arrived();
    conn.begin(view('GET', 'a'), undefined, 0, 1);
    conn.closed();
    const server = spanNamed('GET', SpanKind.SERVER);
    assert.equal(server.status.code, SpanStatusCode.ERROR);
    assert.equal(server.attributes['error.type'], 'client_closed');
  });
});
