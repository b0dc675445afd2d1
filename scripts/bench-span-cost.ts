// The CPU cost of tracing one command, measured in-process (steadier than end-to-end runs on a
// shared machine): a traced command's three spans through the real SDK, batch processor and
// OTLP/HTTP exporter to a local sink, and the sampling decision for an untraced command.
//   node --import tsx scripts/bench-span-cost.ts
import http from 'node:http';
import type net from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BackendTracing } from '../src/telemetry/backend.js';
import { Tracing } from '../src/telemetry/tracing.js';
import { EncodedRequest } from '../src/routing/request.js';

const sink = http.createServer((req, res) => req.resume().on('end', () => res.end('{}')));
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${(sink.address() as net.AddressInfo).port}/v1/traces` }));
new NodeTracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), spanProcessors: [processor] }).register({ contextManager: null });

const client = { id: 1, address: '127.0.0.1', port: 50000, serverPort: 6380 };
const traced = Tracing.create({ enabled: true, sampleRatio: 1, recordKeys: false }, [])!.forConnection(client)!;
const untraced = Tracing.create({ enabled: true, sampleRatio: 0, recordKeys: false }, [])!.forConnection(client)!;
const backend = new BackendTracing({ id: '127.0.0.1:7001', host: '127.0.0.1', port: 7001 });
const request = new EncodedRequest(['GET', 'user:1']);
const reply = Buffer.from('$5\r\nhello\r\n');

/** CPU microseconds per traced command, yielding to the event loop now and then so exports run. */
async function tracedCost(count: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    traced.arrived();
    const hop = backend.arrived(traced.begin(request, undefined, i, 1)!.part(request.raw), 0);
    backend.written();
    backend.replied(hop, reply);
    traced.written(i, [reply], 1);
    if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await processor.forceFlush();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

function untracedCost(count: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) if (untraced.begin(request, undefined, i, 1) !== undefined) throw new Error('sampled at ratio 0');
  return Number(process.hrtime.bigint() - start) / count;
}

await tracedCost(20_000);
untracedCost(1_000_000);
console.log(`traced command: ${(await tracedCost(100_000)).toFixed(1)} us of CPU (three spans, exported)`);
console.log(`untraced command: ${untracedCost(10_000_000).toFixed(1)} ns (the sampling decision)`);
sink.close();
