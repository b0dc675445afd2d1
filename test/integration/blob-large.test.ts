// A 200 MB blob through a `jupiter serve` process of its own (so its memory can be read from
// /proc): written and read with the library's streams and with BLOB.PUT/BLOB.GET, and read by a
// client that stops reading, while jupiter's RSS stays close to what it was idle.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Redis } from 'ioredis';
import { BlobStore } from '../../src/blob/store.js';
import { clientWhenReady, startCli, stopClis, type Cli } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { startRedisNodes, type RedisNode } from '../helpers/redis.js';

const SIZE = 200 * 1024 * 1024;
const MiB = 1024 * 1024;

/** The resident memory of a process, in bytes. */
const rss = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** SIZE bytes of random data, made 1 MiB at a time, and their SHA-256. */
function source(): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let made = 0;
  const stream = new Readable({
    read() {
      if (made >= SIZE) return void this.push(null);
      const piece = randomBytes(MiB);
      made += piece.length;
      hash.update(piece);
      this.push(piece);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

describe('a 200 MB blob', () => {
  let nodes: RedisNode[];
  let run: Cli;
  let port: number;
  let redis: Redis;
  let store: BlobStore;
  let digest: string;

  before(async () => {
    nodes = await startRedisNodes(3);
    port = await freePort();
    run = startCli(['--port', String(port), '--nodes', nodes.map((n) => n.address).join(','), '--log-level', 'warn'], { JUPITER_TRACING_ENABLED: 'false' });
    redis = await clientWhenReady(port, run);
    store = new BlobStore(redis);
  });
  after(async () => {
    redis?.disconnect();
    stopClis();
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('goes in through the library write stream and comes back whole through its read stream', async () => {
    const data = source();
    await pipeline(data.stream, store.createWriteStream('big'));
    digest = data.digest();
    const back = createHash('sha256');
    let bytes = 0;
    await pipeline(store.createReadStream('big'), async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        back.update(chunk);
        bytes += chunk.length;
      }
    });
    assert.equal(bytes, SIZE);
    assert.equal(back.digest('hex'), digest);
  });

  it('BLOB.GET to a client that stops reading holds jupiter under 64 MB above idle, then delivers every byte', async (t) => {
    const pid = run.process.pid!;
    const idle = rss(pid);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('*2\r\n$8\r\nBLOB.GET\r\n$3\r\nbig\r\n');
    const hash = createHash('sha256');
    let header = '';
    let body = 0;
    let peak = idle;
    let stopped = false;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        let at = 0;
        if (!header.endsWith('\r\n')) {
          const end = chunk.indexOf('\r\n');
          header += chunk.subarray(0, end + 2).toString();
          at = end + 2;
        }
        const take = Math.min(chunk.length - at, SIZE - body);
        hash.update(chunk.subarray(at, at + take));
        body += take;
        peak = Math.max(peak, rss(pid));
        // Stop reading once some has come: the client's socket fills, and jupiter must stop too.
        if (!stopped && body > 8 * MiB) {
          stopped = true;
          socket.pause();
        }
        if (body === SIZE) resolve();
      });
    });
    // While the client does not read: jupiter's memory, sampled until it stops growing.
    while (!stopped) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 20; i++) {
      peak = Math.max(peak, rss(pid));
      await new Promise((r) => setTimeout(r, 50));
    }
    t.diagnostic(`RSS idle ${Math.round(idle / MiB)} MiB, at most ${((peak - idle) / MiB).toFixed(1)} MiB more while the client did not read`);
    assert.ok(peak - idle < 64 * MiB, `RSS grew by ${Math.round((peak - idle) / MiB)} MiB while the client did not read`);
    socket.resume();
    await done;
    socket.destroy();
    assert.equal(header, `$${SIZE}\r\n`);
    assert.equal(hash.digest('hex'), digest);
    t.diagnostic(`at most ${((peak - idle) / MiB).toFixed(1)} MiB more over the whole read`);
    assert.ok(peak - idle < 64 * MiB, `RSS grew by ${Math.round((peak - idle) / MiB)} MiB over the whole read`);
  });

  it('BLOB.PUT of 200 MB, then BLOB.GET of it, through ioredis', async () => {
    const data = randomBytes(SIZE);
    assert.equal(await redis.call('BLOB.PUT', 'big-put', data), 'OK');
    const back = (await redis.callBuffer('BLOB.GET', 'big-put')) as Buffer;
    assert.equal(back.length, SIZE);
    assert.ok(back.equals(data));
    assert.equal(await redis.call('BLOB.DEL', 'big-put'), 1);
  });
});
