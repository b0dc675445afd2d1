// The jupiter command with tracing: it installs the SDK itself, exports to the endpoint the
// environment names, and flushes its spans (the worker thread's too) when a signal stops it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { startOtlpReceiver, KIND, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { freePort } from '../helpers/ports.js';
import { startRedisNodes, type RedisNode } from '../helpers/redis.js';
import { sleep } from '../helpers/placement.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

describe('jupiter serve with tracing', { timeout: 60_000 }, () => {
  let nodes: RedisNode[];
  let receiver: OtlpReceiver;
  let child: ChildProcess | undefined;

  before(async () => {
    nodes = await startRedisNodes(2);
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.stop()));
    await receiver.close();
  });

  it('exports every span to the configured endpoint by the time it exits on SIGTERM', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--port', String(port), '--nodes', nodes.map((n) => n.address).join(',')], {
      cwd: ROOT,
      env: {
        ...process.env,
        JUPITER_NODE_ACTORS: nodeActorsPlacement,
        JUPITER_TRACING_SAMPLE_RATIO: '1',
        JUPITER_TRACING_ENDPOINT: receiver.url,
        // Nothing is exported before the shutdown: what arrives was flushed by it.
        OTEL_BSP_SCHEDULE_DELAY: '600000',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    let client: Redis | undefined;
    for (let i = 0; client === undefined; i++) {
      const attempt = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }).on('error', () => {});
      try {
        await attempt.connect();
        client = attempt;
      } catch {
        attempt.disconnect();
        assert.ok(i < 200 && child.exitCode === null, `the CLI did not start: ${stderr}`);
        await sleep(100);
      }
    }
    await client.set('cli:key', 'v');
    assert.equal(await client.get('cli:key'), 'v');
    client.disconnect();
    assert.equal(receiver.spans().length, 0, 'nothing exported before the shutdown');

    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
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
