// Faults in the middle of a handoff: a proxy killed while it drives the migrator (another proxy,
// or the same one restarted, resumes it from the record), a node killed before it is drained (it
// is skipped and the handoff still ends), and two changes at once through two proxies (one wins).
// The migrator runs at a low rate so that each fault lands while keys are still moving.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import { Ring } from '../../src/ring/ring.js';
import { clientWhenReady, startCli, stopClis, type Cli } from '../helpers/cli.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { misplaced, ringOf, status, waitStable } from '../helpers/handoff.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, startRedisNodes, type RedisNode } from '../helpers/redis.js';

const KEYS = 6000;
const RATE = 1500;
const keys = Array.from({ length: KEYS }, (_, i) => `fault:${i}`);
const value = (k: string): string => `v-${k}`;

/** Resolves once the proxy's STATUS says keys are moving for `epoch` and the migrator has moved some. */
async function waitMoving(client: Redis, epoch: number): Promise<Record<string, string>> {
  for (;;) {
    const s = await status(client);
    if (s.state === 'handoff' && Number(s.epoch) === epoch && Number(s.keys_moved) > 0) return s;
    assert.ok(s.state !== 'stable' || Number(s.epoch) < epoch, `the handoff ended before the fault: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function preload(client: Redis): Promise<void> {
  const pipeline = client.pipeline();
  for (const k of keys) pipeline.set(k, value(k));
  await pipeline.exec();
}

/** One client per node, straight to it. */
function directClients(all: readonly RedisNode[], clients: Redis[]): Map<string, Redis> {
  return new Map(
    all.map((n) => {
      const c = new Redis({ port: n.port });
      clients.push(c);
      return [n.address, c];
    }),
  );
}

describe('a proxy killed in the middle of a handoff', () => {
  let nodes: RedisNode[];
  let extra: RedisNode;
  let dir: string;
  const proxies: Proxy[] = [];
  const clients: Redis[] = [];

  before(async () => {
    nodes = await startRedisNodes(3);
    extra = await startRedis();
    dir = mkdtempSync(path.join(tmpdir(), 'jupiter-faults-'));
  });
  after(async () => {
    stopClis();
    for (const c of clients) c.disconnect();
    for (const p of proxies) await p.stop(1000);
    await Promise.all([...nodes, extra].map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** `jupiter serve` over the three nodes, with a slow migrator, as a process of its own. */
  async function serve(port: number): Promise<{ run: Cli; client: Redis }> {
    const file = path.join(dir, 'jupiter.yaml');
    writeFileSync(
      file,
      [
        `port: ${port}`,
        'nodes:',
        ...nodes.map((n) => `  - ${n.address}`),
        `nodeActors: ${nodeActorsPlacement}`,
        'membership: { heartbeatMs: 100 }',
        `handoff: { keysPerSecond: ${RATE}, batch: 100 }`,
        'log: { level: warn }',
        'tracing: { enabled: false }',
      ].join('\n') + '\n',
    );
    const run = startCli(['--config', file]);
    const client = await clientWhenReady(port, run);
    clients.push(client);
    return { run, client };
  }

  it('the other proxy resumes it from the record while serving, and the restarted one serves the stable ring', async () => {
    const port = await freePort();
    const a = await serve(port);
    const b = await createProxy({ port: 0, nodes: nodes.map((n) => n.address), nodeActors: nodeActorsPlacement, log: { level: 'silent' }, membership: { heartbeatMs: 100 } });
    proxies.push(b);
    const viaB = new Redis({ port: b.port, maxRetriesPerRequest: 0 });
    clients.push(viaB);
    await preload(viaB);

    assert.equal(await a.client.call('JUPITER', 'ADDNODE', extra.address), 'OK');
    await waitMoving(a.client, 2);
    a.run.process.kill('SIGKILL');
    await a.run.exited;

    // B keeps serving every key while it takes the handoff over.
    const during = await viaB.mget(keys.slice(0, 500));
    assert.deepEqual(during, keys.slice(0, 500).map(value));
    const stable = await waitStable(viaB, 2);
    assert.equal(stable.members, '4');
    assert.equal(stable.skipped, '');

    const restarted = await serve(port);
    const again = await status(restarted.client);
    assert.equal(again.state, 'stable');
    assert.equal(again.epoch, '2');
    assert.equal(again.members, '4', 'the restarted proxy follows the record, not its config file');
    assert.deepEqual(await restarted.client.mget(keys), keys.map(value));
    const { ring, addressOf } = await ringOf(viaB);
    assert.deepEqual((await misplaced(keys, ring, addressOf, directClients([...nodes, extra], clients))).slice(0, 5), []);
  });

  it('a lone proxy killed and restarted resumes the handoff it was driving', async () => {
    const port = await freePort();
    for (const c of clients.splice(0)) c.disconnect();
    for (const p of proxies.splice(0)) await p.stop(1000);
    const a = await serve(port);
    const before = Number((await status(a.client)).epoch);
    assert.equal(await a.client.call('JUPITER', 'REMOVENODE', extra.address), 'OK');
    await waitMoving(a.client, before + 1);
    a.run.process.kill('SIGKILL');
    await a.run.exited;

    const restarted = await serve(port);
    const stable = await waitStable(restarted.client, before + 1);
    assert.equal(stable.members, '3');
    assert.deepEqual(await restarted.client.mget(keys), keys.map(value));
    const direct = directClients([...nodes, extra], clients);
    assert.equal(await direct.get(extra.address)!.dbsize(), 0, 'the removed node was drained');
    const { ring, addressOf } = await ringOf(restarted.client);
    assert.deepEqual((await misplaced(keys, ring, addressOf, direct)).slice(0, 5), []);
  });
});

describe('a node killed in the middle of a handoff', () => {
  let nodes: RedisNode[];
  let extra: RedisNode;
  let proxy: Proxy;
  let client: Redis;
  // Named, so that the first member by id, which arbitrates every record write of the handoff, is known: a.
  const names = ['a', 'b', 'c'];

  before(async () => {
    nodes = await startRedisNodes(3);
    extra = await startRedis();
    proxy = await createProxy({
      port: 0,
      nodes: nodes.map((n, i) => `${names[i]}=${n.address}`),
      nodeActors: nodeActorsPlacement,
      log: { level: 'silent' },
      membership: { heartbeatMs: 100 },
      // Slow enough that the first old owner is still draining when the fault lands.
      handoff: { keysPerSecond: 300, batch: 50 },
    });
    client = new Redis({ port: proxy.port, maxRetriesPerRequest: 0 });
  });
  after(async () => {
    client.disconnect();
    await proxy.stop(1000);
    await Promise.all([...nodes, extra].map((n) => n.stop()));
  });

  it('is skipped, even as the arbiter of the record: the handoff ends, its keys miss or fail, every other key keeps its value', async () => {
    await preload(client);
    const previous = Ring.build(names.map((id) => ({ id, weight: 1 })), 1);
    const next = Ring.build([...names, 'd'].map((id) => ({ id, weight: 1 })), 2);
    const victim = nodes[0];

    assert.equal(await client.call('JUPITER', 'ADDNODE', `d=${extra.address}`), 'OK');
    const moving = await waitMoving(client, 2);
    assert.ok(!moving.drained.split(',').includes('a'), `a was drained already: ${JSON.stringify(moving)}`);
    victim.process.kill('SIGKILL');

    const stable = await waitStable(client, 2);
    assert.equal(stable.skipped, 'a');
    assert.equal(await client.ping(), 'PONG');
    const ownerOf = (ring: Ring, k: string): string => ring.members[ring.ownerOfString(k)].id;
    for (const k of keys) {
      const was = ownerOf(previous, k);
      const now = ownerOf(next, k);
      if (now === 'a') {
        await assert.rejects(client.get(k), /node a unavailable/, k);
      } else if (was === 'a') {
        // It stayed on the dead node: a miss, or its value if a request moved it first. Never another value.
        const got = await client.get(k);
        assert.ok(got === null || got === value(k), `${k}: ${got}`);
      } else {
        assert.equal(await client.get(k), value(k), k);
      }
    }
    // Later changes are decided by the next member by id: the dead node can be removed.
    assert.equal(await client.call('JUPITER', 'REMOVENODE', 'a'), 'OK');
    const after = await waitStable(client, 3);
    assert.equal(after.members, '3');
  });
});

describe('two changes at once through two proxies', () => {
  let nodes: RedisNode[];
  let extras: RedisNode[];
  const proxies: Proxy[] = [];
  const clients: Redis[] = [];

  before(async () => {
    nodes = await startRedisNodes(2);
    extras = await startRedisNodes(2);
    for (let i = 0; i < 2; i++) {
      proxies.push(await createProxy({ port: 0, nodes: nodes.map((n) => n.address), nodeActors: nodeActorsPlacement, log: { level: 'silent' }, membership: { heartbeatMs: 100 } }));
      clients.push(new Redis({ port: proxies[i].port, maxRetriesPerRequest: 0 }));
    }
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const p of proxies) await p.stop(1000);
    await Promise.all([...nodes, ...extras].map((n) => n.stop()));
  });

  it('exactly one ADDNODE wins; the other is refused with the change that won', async () => {
    const outcomes = await Promise.allSettled(clients.map((c, i) => c.call('JUPITER', 'ADDNODE', extras[i].address)));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(won.length, 1, JSON.stringify(outcomes));
    assert.equal(lost.length, 1);
    const winner = extras[outcomes.findIndex((o) => o.status === 'fulfilled')].address;
    // Refused at the arbiter (another change won), or earlier once the winner's record was seen.
    const why = (lost[0].reason as Error).message;
    assert.match(why, /(another membership change won|a membership change is running): ADDNODE /);
    assert.ok(why.includes(`: ADDNODE ${winner} 1 (epoch 2`) || why.includes(`running: ADDNODE ${winner} 1 (epoch 2`), why);
    const stable = await Promise.all(clients.map((c) => waitStable(c, 2)));
    assert.deepEqual(
      stable.map((s) => s.members),
      ['3', '3'],
    );
    const listed = String(await clients[1].call('JUPITER', 'NODES'));
    assert.ok(listed.includes(winner), listed);
  });
});
