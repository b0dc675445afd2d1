// Does moving CPU work to piscina's threads pay here? The two batch jobs jupiter has: CRC-32C of a
// blob's chunks, and the ring owner of each key of a migrator SCAN batch. Each is timed on the main
// thread, then through a pool of two threads (this machine's cores), in rounds.
//   node --import tsx scripts/bench-piscina.ts
import { randomBytes } from 'node:crypto';
import { Piscina } from 'piscina';
import { crc32c } from '@node-rs/crc32';
import { Ring } from '../src/ring/ring.js';

const pool = new Piscina({ filename: new URL('./piscina-task.ts', import.meta.url).href, maxThreads: 2, minThreads: 2 });
const members = [1, 2, 3, 4].map((i) => ({ id: `127.0.0.1:700${i}`, weight: 1 }));
const ring = Ring.build(members, 1);
const ROUNDS = 5;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed(run: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

// A 64 MiB blob in 64 KiB chunks, 16 chunks per task (one read window).
const chunks = Array.from({ length: 1024 }, () => randomBytes(64 * 1024));
const crcMain = async (): Promise<void> => void chunks.map((c) => crc32c(c));
const crcPool = async (): Promise<void> => {
  const jobs = [];
  for (let i = 0; i < chunks.length; i += 16) jobs.push(pool.run({ kind: 'crc', chunks: chunks.slice(i, i + 16) }));
  await Promise.all(jobs);
};
// 100,000 keys in SCAN batches of 1,000.
const keys = Array.from({ length: 100_000 }, (_, i) => `key:${i}:${randomBytes(4).toString('hex')}`);
const hashMain = async (): Promise<void> => void keys.map((k) => ring.ownerOfString(k));
const hashPool = async (): Promise<void> => {
  const jobs = [];
  for (let i = 0; i < keys.length; i += 1000) jobs.push(pool.run({ kind: 'hash', members, keys: keys.slice(i, i + 1000) }));
  await Promise.all(jobs);
};

await crcPool();
await hashPool(); // warm the threads (and their rings)
const rows: string[] = [];
for (const [label, main, threads] of [
  ['CRC-32C of 64 MiB (1,024 chunks of 64 KiB)', crcMain, crcPool],
  ['ring owner of 100,000 keys (batches of 1,000)', hashMain, hashPool],
] as const) {
  const m: number[] = [];
  const p: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    m.push(await timed(main));
    p.push(await timed(threads));
  }
  rows.push(`| ${label} | ${median(m).toFixed(1)} ms | ${median(p).toFixed(1)} ms | ${(median(m) / median(p)).toFixed(2)}x |`);
}
console.log('| job | main thread | piscina, 2 threads | speed-up |\n|---|---|---|---|');
console.log(rows.join('\n'));
await pool.destroy();
