// GET /metrics, /healthz, /readyz and /health of a running proxy over real nodes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { sample } from '../helpers/prometheus.js';

describe('metrics and health', () => {
  let cluster: TestCluster;
  let base: string;

  before(async () => {
    cluster = await startCluster(3, { metrics: { port: 0 }, backend: { requestTimeoutMs: 2000, connectTimeoutMs: 300, reconnectMaxDelayMs: 200 } });
    base = `http://127.0.0.1:${cluster.proxy.metricsPort}`;
  });
  after(() => cluster.stop());

  it("counts each node's requests and shows every node up; /health says ok", async () => {
    const client = cluster.client();
    for (let i = 0; i < 300; i++) await client.set(`m:${i}`, 'v');
    const text = await (await fetch(`${base}/metrics`)).text();
    let requests = 0;
    for (const node of cluster.nodes) {
      assert.equal(sample(text, `jupiter_node_up{node="${node.address}"}`), 1, node.address);
      requests += sample(text, `jupiter_node_requests_total{node="${node.address}",link="shared"}`) ?? NaN;
    }
    // ioredis's own INFO at connect goes to every node: at least the 300 SETs, a few more.
    assert.ok(requests >= 300 && requests < 320, `${requests} requests counted`);
    assert.equal(sample(text, 'jupiter_clients'), 1);
    assert.equal(sample(text, 'jupiter_ring_epoch'), 1);
    assert.ok((sample(text, 'jupiter_process_resident_memory_bytes') ?? 0) > 0, 'process metrics');
    // Every reply is in the latency histogram of its node: buckets cumulative, +Inf is the count.
    let replies = 0;
    for (const node of cluster.nodes) {
      const at = (le: string): number => sample(text, `jupiter_node_latency_seconds_bucket{node="${node.address}",le="${le}"}`) ?? NaN;
      const count = sample(text, `jupiter_node_latency_seconds_count{node="${node.address}"}`) ?? NaN;
      assert.equal(at('+Inf'), count);
      assert.ok(at('0.001') <= at('0.01') && at('0.01') <= at('+Inf'), node.address);
      assert.ok((sample(text, `jupiter_node_latency_seconds_sum{node="${node.address}"}`) ?? NaN) >= 0);
      replies += count;
    }
    assert.equal(replies, requests);
    // By command: the 300 SETs, and the errors among a few commands that fail (a node's and jupiter's).
    assert.equal(sample(text, 'jupiter_commands_total{command="set"}'), 300);
    await client.set('m:list', 'not a list');
    await assert.rejects(client.lpush('m:list', 'x'), /^ReplyError: WRONGTYPE/);
    await assert.rejects(client.call('NOSUCHCOMMAND'), /unknown command/);
    await assert.rejects(client.call('GET'), /wrong number of arguments/);
    const after = await (await fetch(`${base}/metrics`)).text();
    assert.equal(sample(after, 'jupiter_commands_total{command="lpush"}'), 1);
    assert.equal(sample(after, 'jupiter_command_errors_total{command="lpush"}'), 1);
    assert.equal(sample(after, 'jupiter_command_errors_total{command="unknown"}'), 1);
    assert.equal(sample(after, 'jupiter_command_errors_total{command="get"}'), 1);
    assert.equal(sample(after, 'jupiter_command_errors_total{command="set"}'), undefined);
    // Blob bytes, written and read through BLOB.*.
    const blob = Buffer.alloc(150_000, 'b');
    assert.equal(await client.call('BLOB.PUT', 'm:blob', blob), 'OK');
    assert.equal(((await client.callBuffer('BLOB.GET', 'm:blob')) as Buffer).length, blob.length);
    await client.callBuffer('BLOB.GETRANGE', 'm:blob', '0', '99');
    const blobs = await (await fetch(`${base}/metrics`)).text();
    assert.equal(sample(blobs, 'jupiter_blob_bytes_total{direction="written"}'), blob.length);
    assert.equal(sample(blobs, 'jupiter_blob_bytes_total{direction="read"}'), blob.length + 100);
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', epoch: 1, nodes: 3, down: [] });
    const [live, ready] = await Promise.all([fetch(`${base}/healthz`), fetch(`${base}/readyz`)]);
    assert.deepEqual([live.status, await live.text()], [200, 'ok\n']);
    assert.deepEqual([ready.status, await ready.text()], [200, 'ready\n']);
  });

  it('a stopped node shows as down, its refused requests are counted, and /health says degraded', async () => {
    const down = cluster.nodes[2];
    // Connected and ready before the node stops (ioredis's ready check asks every node).
    const client = cluster.client();
    await client.ping();
    await down.stop();
    for (;;) {
      const { nodes } = await cluster.proxy.status();
      if (!nodes.find((n) => n.id === down.address)!.up) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    let failedHere = 0;
    for (let i = 0; i < 300; i++) {
      await client.get(`m:${i}`).catch((e: Error) => {
        assert.match(e.message, /^ERR node 127\.0\.0\.1:\d+ unavailable$/);
        failedHere++;
      });
    }
    assert.ok(failedHere > 0);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.equal(sample(text, `jupiter_node_up{node="${down.address}"}`), 0);
    // Refused while the node was known to be down, or failed with a reconnect that did not succeed.
    const refused = sample(text, `jupiter_node_refused_total{node="${down.address}",reason="unavailable"}`) ?? 0;
    const failed = sample(text, `jupiter_node_failed_total{node="${down.address}"}`) ?? 0;
    assert.ok(refused > 0, 'none refused');
    assert.equal(refused + failed, failedHere);
    assert.deepEqual(await (await fetch(`${base}/health`)).json(), { status: 'degraded', epoch: 1, nodes: 3, down: [down.address] });
    // Still live, no longer ready, and the probe's answer says which node and why.
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), new RegExp(`^not ready: ${down.address.replace(/\./g, '\\.')} down: (connection closed|connection failed: ECONNREFUSED)\n$`));
  });
});
