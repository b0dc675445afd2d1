// What an idle connection holds once its requests are done: its fixed state, whatever it sent
// before. Measured in this process (the proxy runs here), after a full garbage collection.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function settledMemory(): NodeJS.MemoryUsage {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage();
}

describe('memory of idle connections', () => {
  let cluster: TestCluster;
  const clients: RawClient[] = [];
  const CLIENTS = 20;
  const VALUE = 5 * 1024 * 1024;

  before(async () => {
    // NodeActors on this thread in both suite runs: what is measured is each connection's own state,
    // and with NodeActors in a worker the 5 MB values copied there stay in that thread's heap until
    // its own collection, which gc() here does not run (RSS grew 4.7 MB per connection that way).
    cluster = await startCluster(3, { nodeActors: 'main' });
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await cluster.stop();
  });

  it('after each client sent one 5 MB SET, an idle connection holds under 64 KiB more than before', async (t) => {
    for (let i = 0; i < CLIENTS; i++) {
      const c = await RawClient.connect(cluster.port);
      await c.write('PING\r\n');
      assert.equal(await c.readLike('+PONG\r\n'), '+PONG\r\n');
      clients.push(c);
    }
    const before = settledMemory();
    for (let i = 0; i < CLIENTS; i++) {
      const c = clients[i];
      // Header and payload in separate writes, so the request spans several reads.
      await c.write(`*3\r\n$3\r\nSET\r\n$7\r\nmem:${String(i).padStart(3, '0')}\r\n$${VALUE}\r\n`);
      await c.write(Buffer.alloc(VALUE, 97 + (i % 26)));
      await c.write('\r\n');
      assert.equal(await c.readLike('+OK\r\n', 30_000), '+OK\r\n');
    }
    const afterSets = settledMemory();
    const perConnection = (field: 'rss' | 'arrayBuffers'): number => (afterSets[field] - before[field]) / CLIENTS;
    const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
    t.diagnostic(`per connection: buffers ${kib(perConnection('arrayBuffers'))}, RSS ${kib(perConnection('rss'))}`);
    assert.ok(perConnection('arrayBuffers') < 64 * 1024, `buffers per connection grew by ${kib(perConnection('arrayBuffers'))}`);
    assert.ok(perConnection('rss') < 4 * 1024 * 1024, `RSS per connection grew by ${kib(perConnection('rss'))}`);
    // The values did reach the nodes, whole.
    assert.equal(await cluster.client().strlen('mem:007'), VALUE);
  });
});
