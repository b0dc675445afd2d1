// The jupiter command with tracing: it installs the SDK itself, exports to the endpoint the
// environment names, and flushes its spans (the worker thread's too) when a signal stops it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { clientWhenReady, startCli, stopClis } from '../helpers/cli.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { startOtlpReceiver, KIND, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { freePort } from '../helpers/ports.js';
import { startRedisNodes, type RedisNode } from '../helpers/redis.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

describe('jupiter serve with tracing', { timeout: 60_000 }, () => {
  let nodes: RedisNode[];
  let receiver: OtlpReceiver;

  before(async () => {
    nodes = await startRedisNodes(2);
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    stopClis();
    await Promise.all(nodes.map((n) => n.stop()));
    await receiver.close();
  });

  it('exports every span to the configured endpoint by the time it exits on SIGTERM', async () => {
    const port = await freePort();
    const run = startCli(['--port', String(port), '--nodes', nodes.map((n) => n.address).join(',')], {
      JUPITER_NODE_ACTORS: nodeActorsPlacement,
      JUPITER_TRACING_SAMPLE_RATIO: '1',
      JUPITER_TRACING_ENDPOINT: receiver.url,
      // Nothing is exported before the shutdown: what arrives was flushed by it.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    });
    const client = await clientWhenReady(port, run);
    await client.set('cli:key', 'v');
    assert.equal(await client.get('cli:key'), 'v');
    client.disconnect();
    assert.equal(receiver.spans().length, 0, 'nothing exported before the shutdown');

    run.process.kill('SIGTERM');
    assert.deepEqual(await run.exited, { code: 0, signal: null }, run.stderr());
    const spans = receiver.spans();
    const get = spans.find((s) => s.kind === KIND.SERVER && s.name === 'GET');
    assert.ok(get !== undefined, `a GET SERVER span, got ${spans.map((s) => s.name).join(', ')}`);
    const hop = spans.find((s) => s.parentSpanId === get.spanId);
    assert.ok(hop !== undefined, 'its hop span (from the NodeActor, in a worker thread or not) was flushed too');
    assert.ok(spans.some((s) => s.kind === KIND.CLIENT && s.parentSpanId === hop.spanId), 'and its round trip');
    assert.equal(get.resource['service.name'], 'jupiter');
    assert.equal(get.resource['service.version'], version);
    assert.equal(get.resource['deployment.environment.name'], 'test');
  });
});
