// A node frozen and thawed, through twemproxy with auto_eject_hosts and through jupiter with eject
// on: KEYS keys written, one node frozen (SIGSTOP, it keeps its data); of the keys it held, half
// rewritten, a quarter deleted, a quarter left alone, each write retried until it is acknowledged
// (as a client that must not lose it would); the node thawed (SIGCONT) and, once each proxy has
// taken it back, every one of its keys read. Prints the error replies clients got, and what the
// reads found: stale (a rewritten key's old value), resurrected (a deleted key back), kept, missed.
//   npm run bench:eject                      (KEYS=, RETRY_MS= to change; needs nutcracker)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createProxy } from '../src/actors/system.js';
import { freePort } from '../test/helpers/ports.js';
import { startRedisNodes, stopProcess, type RedisNode } from '../test/helpers/redis.js';

const KEYS = Number(process.env.KEYS ?? 3000);
const RETRY_MS = Number(process.env.RETRY_MS ?? 2000);
const TIMEOUT_MS = 300;
const FAILURE_LIMIT = 2;

interface Result {
  proxy: string;
  victimKeys: number;
  errors: { frozen: number; after: number };
  stale: number;
  resurrected: number;
  kept: number;
  missed: number;
  rewrittenRight: number;
}

const key = (i: number): string => `eject:${i}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the sequence through the proxy on `port`; `back` resolves once the proxy has the node again. */
async function run(name: string, port: number, nodes: RedisNode[], back: (client: Redis) => Promise<void>): Promise<Result> {
  // RESP2, no INFO ready check, no CLIENT SETINFO: twemproxy closes a connection that sends HELLO, INFO or CLIENT.
  const client = new Redis({ port, maxRetriesPerRequest: 0, protocol: 2, enableReadyCheck: false, disableClientInfo: true });
  client.on('error', () => {});
  const victim = nodes[0];
  const direct = new Redis({ port: victim.port });
  const result: Result = { proxy: name, victimKeys: 0, errors: { frozen: 0, after: 0 }, stale: 0, resurrected: 0, kept: 0, missed: 0, rewrittenRight: 0 };
  try {
    await direct.flushdb();
    for (let i = 0; i < KEYS; i++) await client.set(key(i), `v0-${i}`);
    // The victim's keys, found on the victim itself, so the proxy's hash does not matter.
    const mine: number[] = [];
    for (let i = 0; i < KEYS; i++) if ((await direct.exists(key(i))) === 1) mine.push(i);
    result.victimKeys = mine.length;
    const rewrite = mine.slice(0, mine.length / 2);
    const remove = mine.slice(mine.length / 2, (mine.length * 3) / 4);
    const untouched = mine.slice((mine.length * 3) / 4);

    victim.process.kill('SIGSTOP');
    const untilAcknowledged = async (op: () => Promise<unknown>) => {
      for (let tries = 0; ; tries++) {
        try {
          return await op();
        } catch {
          result.errors.frozen++;
          if (tries > 200) throw new Error(`${name}: a write was refused 200 times`);
          await sleep(50);
        }
      }
    };
    for (const i of rewrite) await untilAcknowledged(() => client.set(key(i), `v1-${i}`));
    for (const i of remove) await untilAcknowledged(() => client.del(key(i)));
    for (const i of untouched) await client.get(key(i)).catch(() => result.errors.frozen++);

    victim.process.kill('SIGCONT');
    await back(client);
    const read = async (i: number) => {
      try {
        return await client.get(key(i));
      } catch {
        result.errors.after++;
        return undefined;
      }
    };
    for (const i of rewrite) {
      const got = await read(i);
      if (got === `v0-${i}`) result.stale++;
      else if (got === `v1-${i}`) result.rewrittenRight++;
      else if (got === null) result.missed++;
    }
    for (const i of remove) if ((await read(i)) !== null) result.resurrected++;
    for (const i of untouched) {
      const got = await read(i);
      if (got === `v0-${i}`) result.kept++;
      else if (got === null) result.missed++;
    }
    return result;
  } finally {
    victim.process.kill('SIGCONT');
    client.disconnect();
    direct.disconnect();
  }
}

async function twemproxy(nodes: RedisNode[]): Promise<Result> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jupiter-bench-eject-'));
  const port = await freePort();
  const config = path.join(dir, 'nutcracker.yml');
  writeFileSync(
    config,
    [
      'pool:',
      `  listen: 127.0.0.1:${port}`,
      '  hash: fnv1a_64',
      '  distribution: ketama',
      '  redis: true',
      '  auto_eject_hosts: true',
      `  server_failure_limit: ${FAILURE_LIMIT}`,
      `  server_retry_timeout: ${RETRY_MS}`,
      `  timeout: ${TIMEOUT_MS}`,
      '  servers:',
      ...nodes.map((n) => `   - ${n.address}:1`),
    ].join('\n') + '\n',
  );
  const proc: ChildProcess = spawn('nutcracker', ['-c', config, '-s', String(await freePort()), '-o', path.join(dir, 'nutcracker.log')], { stdio: 'ignore' });
  try {
    await waitForPing(port);
    // twemproxy takes an ejected node back on the first request after server_retry_timeout.
    return await run('twemproxy (auto_eject_hosts)', port, nodes, async (client) => {
      await sleep(RETRY_MS + 500);
      for (let i = 0; i < 50; i++) await client.get(key(i)).catch(() => undefined);
    });
  } finally {
    await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function jupiter(nodes: RedisNode[]): Promise<Result> {
  const proxy = await createProxy({
    port: 0,
    nodes: nodes.map((n) => n.address),
    log: { level: 'warn' },
    tracing: { enabled: false },
    backend: { requestTimeoutMs: TIMEOUT_MS, connectTimeoutMs: TIMEOUT_MS },
    eject: { enabled: true, failureLimit: FAILURE_LIMIT, retryTimeoutMs: RETRY_MS, onDown: 'miss' },
  });
  try {
    return await run('jupiter (eject, onDown: miss)', proxy.port, nodes, async (client) => {
      for (;;) {
        const nodesText = (await client.call('JUPITER', 'NODES')) as string;
        const statusText = (await client.call('JUPITER', 'STATUS')) as string;
        if (!nodesText.includes('state=ejected') && statusText.includes('state:stable')) return;
        await sleep(100);
      }
    });
  } finally {
    await proxy.stop(1000);
  }
}

async function waitForPing(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const c = new Redis({ port, lazyConnect: true, protocol: 2, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.ping();
      return;
    } catch {
      await sleep(100);
    } finally {
      c.disconnect();
    }
  }
  throw new Error(`nothing answers PING on port ${port}`);
}

const results: Result[] = [];
for (const which of [twemproxy, jupiter]) {
  // Fresh nodes for each proxy, so one's leftovers (hints, a record) do not touch the other.
  const nodes = await startRedisNodes(3);
  try {
    results.push(await which(nodes));
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}
console.log(`\n${KEYS} keys on 3 nodes; one frozen: half of its keys rewritten, a quarter deleted, a quarter left alone; thawed, then all of its keys read.`);
console.log(`timeout ${TIMEOUT_MS} ms, failure limit ${FAILURE_LIMIT}, retry ${RETRY_MS} ms\n`);
console.log('| proxy | keys on the frozen node | error replies while frozen | error replies after | stale reads | resurrected deletes | rewritten keys read right | untouched keys kept | misses |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.proxy} | ${r.victimKeys} | ${r.errors.frozen} | ${r.errors.after} | ${r.stale} | ${r.resurrected} | ${r.rewrittenRight} | ${r.kept} | ${r.missed} |`);
}
process.exit(0);
