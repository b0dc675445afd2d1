// A long run of mixed load through a built jupiter (a process of its own) over three redis-server
// nodes: CLIENTS ioredis clients doing GET, SET, MGET of 10 keys, INCR, HSET/HGETALL and
// LPUSH/RPOP, with values from 10 B to 64 KiB, each checking what it reads. Every INTERVAL seconds
// it prints jupiter's RSS, the operations per second, the client p99 and the errors and wrong
// values so far; at the end, the rows as a markdown table.
//   npm run soak                     (10 minutes; SOAK_SECONDS=, CLIENTS=, INTERVAL= to change)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { freePort } from '../test/helpers/ports.js';
import { startRedisNodes, stopProcess } from '../test/helpers/redis.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const CLIENTS = Number(process.env.CLIENTS ?? 50);
const INTERVAL = Number(process.env.INTERVAL ?? 30);
const KEYS = 10_000;

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const p99 = (ms: number[]): number => (ms.length === 0 ? NaN : ms.sort((a, b) => a - b)[Math.floor(ms.length * 0.99)]);
const sizes = [10, 100, 1000, 16 * 1024, 64 * 1024];
const valueOf = (k: number, round: number): string => `${k}:${round}:`.padEnd(sizes[k % sizes.length], 'v');

const nodes = await startRedisNodes(3);
const port = await freePort();
const proxy = spawn(process.execPath, ['dist/cli/main.js', '--port', String(port), '--nodes', nodes.map((n) => n.address).join(','), '--log-level', 'warn'], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
// Ready once it answers PING (a fresh client per try: a failed ioredis connect keeps retrying).
for (;;) {
  const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => {});
  const up = await probe.connect().then(() => probe.ping(), () => null);
  probe.disconnect();
  if (up === 'PONG') break;
  await new Promise((r) => setTimeout(r, 100));
}

let ops = 0;
let errors = 0;
let wrong = 0;
let latencies: number[] = [];
const deadline = Date.now() + SECONDS * 1000;

async function client(id: number): Promise<void> {
  const redis = new Redis({ port, maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  let round = 0;
  while (Date.now() < deadline) {
    const k = Math.floor(Math.random() * KEYS);
    const started = performance.now();
    try {
      switch (round++ % 6) {
        case 0: {
          await redis.set(`soak:${k}`, valueOf(k, round));
          break;
        }
        case 1: {
          const got = await redis.get(`soak:${k}`);
          // Another client may have written it meanwhile: a value must be one that was written for this key.
          if (got !== null && !got.startsWith(`${k}:`)) wrong++;
          break;
        }
        case 2: {
          const ks = Array.from({ length: 10 }, (_, i) => (k + i * 997) % KEYS);
          const got = await redis.mget(...ks.map((x) => `soak:${x}`));
          got.forEach((v, i) => (v !== null && !v.startsWith(`${ks[i]}:`) ? wrong++ : 0));
          break;
        }
        case 3:
          await redis.incr(`soak:n:${id}`);
          break;
        case 4:
          await redis.hset(`soak:h:${k % 100}`, `f${id}`, String(round));
          await redis.hgetall(`soak:h:${k % 100}`);
          break;
        default:
          await redis.lpush(`soak:l:${id}`, String(round));
          await redis.rpop(`soak:l:${id}`);
      }
      ops++;
      latencies.push(performance.now() - started);
    } catch {
      errors++;
    }
  }
  redis.disconnect();
}

const rows: string[] = [];
const startedAt = Date.now();
let lastOps = 0;
const report = setInterval(() => {
  const elapsed = Math.round((Date.now() - startedAt) / 1000);
  const row = `| ${elapsed} | ${Math.round((ops - lastOps) / INTERVAL)} | ${p99(latencies).toFixed(2)} | ${rssMiB(proxy.pid!).toFixed(0)} | ${errors} | ${wrong} |`;
  lastOps = ops;
  latencies = [];
  rows.push(row);
  console.log(row);
}, INTERVAL * 1000);

console.log(`soak: ${CLIENTS} clients for ${SECONDS} s; jupiter pid ${proxy.pid}, RSS at start ${rssMiB(proxy.pid!).toFixed(0)} MiB`);
await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
clearInterval(report);
console.log('\n| seconds | ops/s | p99 ms | jupiter RSS MiB | errors (total) | wrong values (total) |\n|---|---|---|---|---|---|');
console.log(rows.join('\n'));
await stopProcess(proxy);
await Promise.all(nodes.map((n) => n.stop()));
