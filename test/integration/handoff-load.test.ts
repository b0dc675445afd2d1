// The handoff under load: clients spread over two proxies read and write their own keys and
// counters the whole time while a node is added through one proxy and an original node removed
// through the other. Every reply is checked against what the client last wrote.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startRedis, startRedisNodes, type RedisNode } from '../helpers/redis.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { misplaced, ringOf, waitStable } from '../helpers/handoff.js';

const CLIENTS = 50;

interface Run {
  errors: string[];
  wrong: string[];
  ops: number;
}

/** One client's loop over the keys it owns (index % CLIENTS === c), until `stop()` says so. */
async function work(client: Redis, c: number, keys: number, counters: number, expected: Map<string, string | null>, counts: Map<string, number>, run: Run, stop: () => boolean): Promise<void> {
  const mine = Array.from({ length: Math.floor(keys / CLIENTS) }, (_, i) => `key:${i * CLIENTS + c}`);
  const myCounters = Array.from({ length: Math.floor(counters / CLIENTS) }, (_, i) => `counter:${i * CLIENTS + c}`);
  let n = 0;
  while (!stop()) {
    const key = mine[Math.floor(Math.random() * mine.length)];
    const op = Math.random();
    try {
      if (op < 0.4) {
        const got = await client.get(key);
        const want = expected.has(key) ? expected.get(key)! : `v0-${key}`;
        if (got !== want) run.wrong.push(`GET ${key}: ${got}, expected ${want}`);
      } else if (op < 0.7) {
        const value = `v${++n}-${c}`;
        await client.set(key, value);
        expected.set(key, value);
      } else if (op < 0.8) {
        await client.del(key);
        expected.set(key, null);
      } else {
        const counter = myCounters[Math.floor(Math.random() * myCounters.length)];
        const got = await client.incr(counter);
        const want = (counts.get(counter) ?? 0) + 1;
        counts.set(counter, want);
        if (got !== want) run.wrong.push(`INCR ${counter}: ${got}, expected ${want}`);
      }
      run.ops++;
    } catch (error) {
      run.errors.push((error as Error).message);
    }
  }
}

function handoffUnderLoad(title: string, options: { keys: number; counters: number; overrides: Partial<ConfigInput>; steps: 'add-remove' | 'weight' }): void {
  describe(title, () => {
    let nodes: RedisNode[];
    let extra: RedisNode;
    const proxies: Proxy[] = [];
    const clients: Redis[] = [];

    before(async () => {
      nodes = await startRedisNodes(3);
      extra = await startRedis();
      const config = { nodes: nodes.map((n) => n.address), nodeActors: nodeActorsPlacement, log: { level: 'silent' as const }, membership: { heartbeatMs: 200 }, ...options.overrides };
      proxies.push(await createProxy({ port: 0, ...config }));
      proxies.push(await createProxy({ port: 0, ...config }));
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      for (const p of proxies) await p.stop(1000);
      await Promise.all([...nodes, extra].map((n) => n.stop()));
    });
    const connect = (port: number): Redis => {
      const c = new Redis({ port, maxRetriesPerRequest: 1 });
      clients.push(c);
      return c;
    };

    it('no error, no wrong value, every counter right, every key on its owner only', async () => {
      const [a, b] = proxies.map((p) => connect(p.port));
      for (let start = 0; start < options.keys; start += 10000) {
        const pipeline = a.pipeline();
        for (let i = start; i < Math.min(options.keys, start + 10000); i++) pipeline.set(`key:${i}`, `v0-key:${i}`);
        await pipeline.exec();
      }
      const expected = new Map<string, string | null>();
      const counts = new Map<string, number>();
      const run: Run = { errors: [], wrong: [], ops: 0 };
      let stopping = false;
      const workers = Array.from({ length: CLIENTS }, (_, c) => work(connect(proxies[c % 2].port), c, options.keys, options.counters, expected, counts, run, () => stopping));
      const direct = new Map([...nodes, extra].map((n) => [n.address, connect(n.port)]));
      const allKeys = [...Array.from({ length: options.keys }, (_, i) => `key:${i}`), ...Array.from({ length: options.counters }, (_, i) => `counter:${i}`)];
      const waitForOps = async (more: number) => {
        const target = run.ops + more;
        while (run.ops < target) await new Promise((r) => setTimeout(r, 20));
      };
      await waitForOps(2000);
      // A key is there unless a client's last word on it was DEL; a counter once it was counted.
      const present = (k: string): boolean => (k.startsWith('counter:') ? counts.has(k) : expected.get(k) !== null);
      // Operations completed from the first change until both proxies saw the last one settle.
      let opsDuringChange = 0;
      try {
        const opsAtChange = run.ops;
        if (options.steps === 'add-remove') {
          assert.equal(await a.call('JUPITER', 'ADDNODE', extra.address), 'OK');
          await Promise.all([waitStable(a, 2), waitStable(b, 2)]);
          await waitForOps(2000);
          const four = await ringOf(b);
          assert.equal(four.ring.members.length, 4);
          // Checked while clients keep writing: each writes only through the ring both proxies agree on.
          assert.deepEqual((await misplaced(allKeys, four.ring, four.addressOf, direct, () => false)).slice(0, 5), []);
          assert.equal(await b.call('JUPITER', 'REMOVENODE', nodes[0].address), 'OK');
          await Promise.all([waitStable(a, 3), waitStable(b, 3)]);
        } else {
          assert.equal(await a.call('JUPITER', 'SETWEIGHT', nodes[1].address, '3'), 'OK');
          await Promise.all([waitStable(a, 2), waitStable(b, 2)]);
        }
        opsDuringChange = run.ops - opsAtChange;
        await waitForOps(2000);
      } finally {
        stopping = true;
        await Promise.all(workers);
      }

      assert.deepEqual(run.errors.slice(0, 5), [], `${run.errors.length} error replies`);
      assert.deepEqual(run.wrong.slice(0, 5), [], `${run.wrong.length} wrong replies`);
      const final = await ringOf(a);
      assert.deepEqual((await misplaced(allKeys, final.ring, final.addressOf, direct, present)).slice(0, 5), []);
      // Every key's last value (deleted ones stay deleted) and every counter, read back through the other proxy.
      const sample = allKeys.filter((k) => k.startsWith('key:'));
      const values = await b.mget(sample);
      const bad = sample.filter((k, i) => values[i] !== (expected.has(k) ? expected.get(k) : `v0-${k}`));
      assert.deepEqual(bad.slice(0, 5), [], `${bad.length} keys with the wrong value`);
      const counterKeys = [...counts.keys()];
      const got = counterKeys.length > 0 ? await a.mget(counterKeys) : [];
      assert.deepEqual(got, counterKeys.map((k) => String(counts.get(k))));
      if (options.steps === 'add-remove') assert.equal(await direct.get(nodes[0].address)!.dbsize(), 0, 'the removed node holds nothing');
      // The clients were served while keys moved, not only before and after (the waits above see to those).
      assert.ok(opsDuringChange > 0, `no operation completed during the change (${run.ops} in all)`);
    });
  });
}

handoffUnderLoad('two proxies under load: a node added through one, an original removed through the other (MIGRATE)', {
  keys: 100_000,
  counters: 10_000,
  overrides: {},
  steps: 'add-remove',
});
handoffUnderLoad('two proxies under load: a weight changed, keys moved with DUMP/RESTORE', {
  keys: 30_000,
  counters: 3_000,
  overrides: { handoff: { method: 'restore' } },
  steps: 'weight',
});
