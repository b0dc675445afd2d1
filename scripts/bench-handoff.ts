// The handoff under load, measured: KEYS keys of VALUE bytes on three redis-server nodes behind a
// built jupiter (a process of its own), CLIENTS ioredis clients doing GET/SET of random keys one
// at a time, then a fourth node added. Prints keys moved, the handoff's time and rate, client
// errors and wrong values, and client latency before, during and after, as a markdown table.
//   npm run bench:handoff                    (1M keys of 100 B; KEYS=, VALUE=, CLIENTS=, RATE=, METHOD= to change)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Ring } from '../src/ring/ring.js';
import { freePort } from '../test/helpers/ports.js';
import { startRedis, stopProcess, type RedisNode } from '../test/helpers/redis.js';
import { status, waitStable } from '../test/helpers/handoff.js';

const KEYS = Number(process.env.KEYS ?? 1_000_000);
const VALUE = Number(process.env.VALUE ?? 100);
const CLIENTS = Number(process.env.CLIENTS ?? 20);
const RATE = process.env.RATE ?? '10000';
const METHOD = process.env.METHOD ?? 'auto';
const BEFORE_MS = 10_000;
const AFTER_MS = 5_000;

const key = (i: number): string => `bench:${i}`;
const initial = (i: number): string => `${i}:`.padEnd(VALUE, 'x');

interface Phase {
  readonly latencies: number[];
  errors: number;
}
const phases = { before: newPhase(), during: newPhase(), after: newPhase() };
let phase: Phase = phases.before;
let stopping = false;
const written = new Map<number, string>();
let wrong = 0;
const errorSamples: string[] = [];

function newPhase(): Phase {
  return { latencies: [], errors: 0 };
}

const dir = mkdtempSync(path.join(tmpdir(), 'jupiter-bench-handoff-'));
const nodes: RedisNode[] = [];
for (let i = 0; i < 4; i++) nodes.push(await startRedis());
const [a, b, c, extra] = nodes;
const port = await freePort();
const config = path.join(dir, 'jupiter.yaml');
writeFileSync(
  config,
  [`port: ${port}`, 'nodes:', ...[a, b, c].map((n) => `  - ${n.address}`), `handoff: { keysPerSecond: ${RATE}, method: ${METHOD} }`, 'log: { level: warn }', 'tracing: { enabled: false }'].join('\n') + '\n',
);
const proxy = spawn(process.execPath, ['dist/cli/main.js', '--config', config], { stdio: ['ignore', 'inherit', 'inherit'] });

try {
  // Preload straight into the nodes, each key where the ring puts it.
  const ring = Ring.build([a, b, c].map((n) => ({ id: n.address, weight: 1 })), 1);
  // ring.members is sorted by id: the client of each member, in that order.
  const direct = ring.members.map((m) => new Redis({ port: [a, b, c].find((n) => n.address === m.id)!.port }));
  let started = Date.now();
  for (let start = 0; start < KEYS; start += 10_000) {
    const pipelines = direct.map((d) => d.pipeline());
    for (let i = start; i < Math.min(KEYS, start + 10_000); i++) pipelines[ring.ownerOfString(key(i))].set(key(i), initial(i));
    await Promise.all(pipelines.map((p) => p.exec()));
  }
  direct.forEach((d) => d.disconnect());
  console.error(`preloaded ${KEYS} keys of ${VALUE} B in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const admin = await connect(port);
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(port)));
  // Each client owns the keys i with i % CLIENTS === its index, so it knows every value it should read.
  const loops = clients.map((client, ci) => load(client, ci));
  await sleep(BEFORE_MS);

  phase = phases.during;
  started = Date.now();
  await admin.call('JUPITER', 'ADDNODE', extra.address);
  const end = await waitStable(admin, 2, 30 * 60_000);
  const seconds = (Date.now() - started) / 1000;
  phase = phases.after;
  await sleep(AFTER_MS);
  stopping = true;
  await Promise.all(loops);

  // Every key a client wrote reads back its last value; a sample of the others their first one.
  const check = [...written.keys(), ...Array.from({ length: 10_000 }, () => Math.floor(Math.random() * KEYS))];
  for (let i = 0; i < check.length; i += 1000) {
    const batch = check.slice(i, i + 1000);
    const got = await admin.mget(batch.map(key));
    batch.forEach((k, j) => {
      if (got[j] !== (written.get(k) ?? initial(k))) wrong++;
    });
  }
  const s = await status(admin);
  admin.disconnect();
  clients.forEach((cl) => cl.disconnect());

  const moved = Number(end.keys_moved);
  const row = (name: string, p: Phase): string => {
    const sorted = [...p.latencies].sort((x, y) => x - y);
    const at = (q: number): string => (sorted.length === 0 ? '-' : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2));
    return `| ${name} | ${sorted.length} | ${p.errors} | ${at(0.5)} | ${at(0.99)} | ${at(0.999)} |`;
  };
  console.log(`\nhandoff of ${KEYS.toLocaleString('en')} keys of ${VALUE} B, three nodes plus one (method ${s.move_method}, rate limit ${RATE} keys/s, ${CLIENTS} clients)\n`);
  console.log('| keys moved | time | keys per second | client errors | wrong values (checked) |');
  console.log('|---|---|---|---|---|');
  console.log(`| ${moved.toLocaleString('en')} | ${seconds.toFixed(1)} s | ${Math.round(moved / seconds).toLocaleString('en')} | ${phases.before.errors + phases.during.errors + phases.after.errors} | ${wrong} (${check.length.toLocaleString('en')}) |`);
  console.log('\n| phase | requests | errors | p50 ms | p99 ms | p99.9 ms |');
  console.log('|---|---|---|---|---|---|');
  console.log(row('before', phases.before));
  console.log(row('during', phases.during));
  console.log(row('after', phases.after));
  if (errorSamples.length > 0) console.log(`\nerrors, first ones: ${errorSamples.join(' | ')}`);
} finally {
  await stopProcess(proxy);
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
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
      await sleep(100);
    }
  }
}

async function load(client: Redis, ci: number): Promise<void> {
  let n = 0;
  while (!stopping) {
    const k = Math.floor(Math.random() * Math.floor(KEYS / CLIENTS)) * CLIENTS + ci;
    const p = phase;
    const start = process.hrtime.bigint();
    try {
      if (Math.random() < 0.8) {
        const got = await client.get(key(k));
        if (got !== (written.get(k) ?? initial(k))) wrong++;
      } else {
        const v = `${k}:${ci}:${++n}:`.padEnd(VALUE, 'y');
        await client.set(key(k), v);
        written.set(k, v);
      }
      p.latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    } catch (error) {
      p.errors++;
      if (errorSamples.length < 5) errorSamples.push((error as Error).message);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
