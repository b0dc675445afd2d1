// Blob throughput, against what the same bytes cost without the blob store: three redis-server
// nodes and a built jupiter (a process of its own); for 1, 16 and 64 MiB, in rounds:
//   BlobStore through jupiter (writeAll, readAll), BlobStore straight to the nodes, BLOB.PUT and
//   BLOB.GET through jupiter; (a) the same chunks read with pipelined GETs straight from the nodes
//   that hold them, in parallel; (b) the original layout, every chunk on one node, written and read
//   with pipelined SET/GET there.
// Prints MB/s (medians) as a markdown table.
//   npm run bench:blob            (ROUNDS=, SIZES= in MiB, comma-separated)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { BlobStore } from '../src/blob/store.js';
import { Ring } from '../src/ring/ring.js';
import { ownerOfKeyString } from '../src/routing/hashkey.js';
import { freePort } from '../test/helpers/ports.js';
import { startRedis, stopProcess, type RedisNode } from '../test/helpers/redis.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SIZES = (process.env.SIZES ?? '1,16,64').split(',').map(Number);
const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const nodes: RedisNode[] = [];
for (let i = 0; i < 3; i++) nodes.push(await startRedis());
const port = await freePort();
const proxy = spawn(process.execPath, ['dist/cli/main.js', '--port', String(port), '--nodes', nodes.map((n) => n.address).join(','), '--log-level', 'warn'], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, JUPITER_TRACING_ENABLED: 'false' },
});

try {
  const redis = await connect(port);
  const store = new BlobStore(redis);
  const straight = BlobStore.overNodes(nodes.map((n) => n.address));
  const ring = Ring.build(nodes.map((n) => ({ id: n.address, weight: 1 })), 1);
  const byId = new Map(nodes.map((n) => [n.address, new Redis({ port: n.port })]));
  const direct = ring.members.map((m) => byId.get(m.id)!);
  const one = direct[0];

  const rows: string[] = [];
  for (const mib of SIZES) {
    const data = randomBytes(mib * MiB);
    const times: Record<string, number[]> = {};
    const time = async (label: string, work: () => Promise<unknown>): Promise<void> => void (times[label] ??= []).push(await seconds(work));
    for (let round = 0; round < ROUNDS; round++) {
      await time('writeAll via jupiter', () => store.writeAll('bench', data));
      await time('readAll via jupiter', async () => check(await store.readAll('bench'), data));
      const manifest = (await store.stat('bench'))!;
      const keys = Array.from({ length: manifest.chunks }, (_, i) => `blob.chunk:{${manifest.version}.${i}}:bench`);
      await time('(a) pipelined GETs straight from the nodes', async () => {
        const byNode = new Map<Redis, number[]>();
        keys.forEach((k, i) => {
          const client = direct[ownerOfKeyString(ring, k, true)];
          byNode.set(client, [...(byNode.get(client) ?? []), i]);
        });
        const out = new Array<Buffer>(keys.length);
        await Promise.all(
          [...byNode].map(async ([client, positions]) => {
            const pipeline = client.pipeline();
            for (const i of positions) pipeline.getBuffer(keys[i]);
            const results = (await pipeline.exec())!;
            positions.forEach((at, k) => (out[at] = results[k][1] as Buffer));
          }),
        );
        check(Buffer.concat(out), data);
      });
      await time('writeAll straight to the nodes', () => straight.writeAll('bench-straight', data));
      await time('readAll straight to the nodes', async () => check(await straight.readAll('bench-straight'), data));
      await time('(b) all chunks on one node: pipelined SETs', async () => {
        const pipeline = one.pipeline();
        for (let i = 0; i * CHUNK < data.length; i++) pipeline.set(`orig:bench:${i}`, data.subarray(i * CHUNK, (i + 1) * CHUNK));
        await pipeline.exec();
      });
      await time('(b) all chunks on one node: pipelined GETs', async () => {
        const pipeline = one.pipeline();
        for (let i = 0; i * CHUNK < data.length; i++) pipeline.getBuffer(`orig:bench:${i}`);
        check(Buffer.concat((await pipeline.exec())!.map(([, v]) => v as Buffer)), data);
      });
      await time('BLOB.PUT via jupiter', () => redis.call('BLOB.PUT', 'bench-resp', data));
      await time('BLOB.GET via jupiter', async () => check((await redis.callBuffer('BLOB.GET', 'bench-resp')) as Buffer, data));
    }
    for (const [label, list] of Object.entries(times)) rows.push(`| ${mib} MiB | ${label} | ${((mib * MiB) / median(list) / 1e6).toFixed(0)} |`);
  }
  console.log(`\nblob throughput, 3 nodes, 64 KiB chunks, median of ${ROUNDS} rounds\n`);
  console.log('| size | what | MB/s |');
  console.log('|---|---|---|');
  for (const row of rows) console.log(row);
  redis.disconnect();
  straight.close();
  for (const c of direct) c.disconnect();
} finally {
  await stopProcess(proxy);
  await Promise.all(nodes.map((n) => n.stop()));
}

function check(got: Buffer | null, want: Buffer): void {
  if (got === null || !got.equals(want)) throw new Error('the bytes read back differ from those written');
}

async function connect(p: number): Promise<Redis> {
  for (;;) {
    const client = new Redis({ port: p, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return client;
    } catch {
      client.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
