// Limits a client can reach, each affecting that client alone: a reader that never reads its
// replies of 1 MB values is disconnected past limits.maxOutputBuffer with jupiter's memory bounded,
// one connection past limits.maxClients is refused with Redis's error, and an idle one is closed
// after limits.idleTimeoutSeconds.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { encodeCommand } from '../../src/protocol/encode.js';
import { within } from '../helpers/placement.js';

/** Resolves once the socket is closed (by either side). */
const closed = (socket: net.Socket): Promise<void> => new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('limits', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster(3, { limits: { maxOutputBuffer: 8 * 1024 * 1024, maxClients: 6, idleTimeoutSeconds: 1 } });
  });
  after(() => cluster.stop());

  it('a client that never reads its replies is disconnected past maxOutputBuffer; memory stays bounded and others are served', async () => {
    const writer = cluster.client();
    const big = Buffer.alloc(1024 * 1024, 'x');
    await writer.set('lim:big', big);
    const rssBefore = process.memoryUsage().rss;
    const slow = net.connect(cluster.port, '127.0.0.1');
    slow.on('error', () => {});
    await new Promise((resolve) => slow.once('connect', resolve));
    slow.pause(); // never reads
    while ((await cluster.proxy.status()).clients < 2) await new Promise((r) => setImmediate(r));
    // Seen from jupiter's side: this paused socket would not notice the close until it read everything.
    const gone = (async () => {
      while ((await cluster.proxy.status()).clients > 1) await new Promise((r) => setTimeout(r, 20));
    })();
    const request = encodeCommand(['GET', 'lim:big']);
    slow.write(Buffer.concat(Array.from({ length: 300 }, () => request)));
    // Meanwhile another client is answered as usual.
    assert.equal((await writer.getBuffer('lim:big'))?.length, big.length);
    await within(gone, 30_000, 'the slow reader to be disconnected');
    const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    // 300 replies of 1 MiB would be 300 MiB if they were all kept.
    assert.ok(grownMiB < 150, `RSS grew ${grownMiB.toFixed(0)} MiB`);
    assert.equal(await writer.ping(), 'PONG');
    slow.destroy();
  });

  it('one connection past maxClients gets -ERR max number of clients reached and is closed; the others stay', async () => {
    const open: net.Socket[] = [];
    try {
      // The cluster's client from the first test is one of the six.
      const { clients } = await cluster.proxy.status();
      for (let i = clients; i < 6; i++) {
        const s = net.connect(cluster.port, '127.0.0.1');
        s.on('error', () => {});
        await new Promise((resolve) => s.once('connect', resolve));
        open.push(s);
      }
      // Wait until jupiter has accepted all six, so the next one is the seventh.
      while ((await cluster.proxy.status()).clients < 6) await new Promise((r) => setImmediate(r));
      const extra = net.connect(cluster.port, '127.0.0.1');
      let got = '';
      extra.setEncoding('latin1').on('data', (d: string) => (got += d));
      await within(closed(extra), 10_000, 'the seventh connection to close');
      assert.equal(got, '-ERR max number of clients reached\r\n');
      assert.equal(open.filter((s) => s.destroyed).length, 0);
    } finally {
      for (const s of open) s.destroy();
    }
  });

  it('an idle connection is closed after idleTimeoutSeconds', async () => {
    while ((await cluster.proxy.status()).clients >= 6) await new Promise((r) => setImmediate(r));
    const idle = net.connect(cluster.port, '127.0.0.1');
    idle.on('error', () => {});
    const started = Date.now();
    await within(closed(idle), 10_000, 'the idle connection to close');
    assert.ok(Date.now() - started >= 900, 'not before the timeout');
  });
});
