// Ejection on real nodes: a node frozen (SIGSTOP, it keeps its data) or killed is taken out of the
// ring after eject.failureLimit failures, its keys miss instead of failing, writes to them land on
// the other nodes and leave hints there; when it answers again it comes back without serving a
// stale value: its copies of the keys written meanwhile are deleted (or it is flushed, past
// eject.hintLimit) before the newer copies move back to it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis, type RedisOptions } from 'ioredis';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { ringOf } from '../helpers/handoff.js';
import { startRedisNodes, type RedisNode } from '../helpers/redis.js';

const KEYS = Array.from({ length: 600 }, (_, i) => `ej:${i}`);
const v0 = (k: string): string => `v0-${k}`;
const v1 = (k: string): string => `v1-${k}`;

/** JUPITER NODES as `id -> state` (up, down, ejected). */
async function states(client: Redis): Promise<Map<string, string>> {
  const text = (await client.call('JUPITER', 'NODES')) as string;
  return new Map(
    text
      .trim()
      .split('\n')
      .map((line) => [line.split(' ')[0], /state=(\w+)/.exec(line)![1]]),
  );
}

/** Polls `check` until it holds; a check whose reply never comes fails too, rather than hanging. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no reply within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      if (await Promise.race([check(), late])) return;
    } finally {
      clearTimeout(timer);
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ejected = (client: Redis, id: string) => until(`${id} ejected`, async () => (await states(client)).get(id) === 'ejected');
const returned = (client: Redis, id: string) => until(`${id} back`, async () => (await states(client)).get(id) === 'up' && !(await client.call('JUPITER', 'STATUS') as string).includes('state:handoff'));

/** Three nodes behind `proxies` jupiters sharing them, with ejection on. */
function setup(overrides: Partial<ConfigInput['eject']> = {}, proxies = 1) {
  const s = {
    nodes: [] as RedisNode[],
    proxies: [] as Proxy[],
    clients: [] as Redis[],
    client(i = 0, options: RedisOptions = {}): Redis {
      const c = new Redis({ port: s.proxies[i].port, maxRetriesPerRequest: 0, ...options });
      s.clients.push(c);
      return c;
    },
    direct(node: RedisNode): Redis {
      const c = new Redis({ port: node.port });
      s.clients.push(c);
      return c;
    },
  };
  before(async () => {
    s.nodes = await startRedisNodes(3);
    for (let i = 0; i < proxies; i++) {
      s.proxies.push(
        await createProxy({
          port: 0,
          nodes: s.nodes.map((n) => n.address),
          nodeActors: nodeActorsPlacement,
          log: { level: 'silent' },
          backend: { requestTimeoutMs: 300, connectTimeoutMs: 300, reconnectMaxDelayMs: 200 },
          membership: { heartbeatMs: 100 },
          eject: { enabled: true, failureLimit: 2, retryTimeoutMs: 1000, onDown: 'miss', ...overrides },
          metrics: { port: 0 },
        }),
      );
    }
  });
  after(async () => {
    for (const c of s.clients) c.disconnect();
    for (const p of s.proxies) await p.stop(500);
    await Promise.all(s.nodes.map((n) => (n.process.kill('SIGCONT'), n.stop())));
  });
  return s;
}

/** The victim (nodes[0]) and the keys it owns, split: to rewrite, to delete, to leave alone. */
async function victimKeys(client: Redis, victim: RedisNode): Promise<{ rewrite: string[]; remove: string[]; keep: string[] }> {
  const { ring, addressOf } = await ringOf(client);
  const mine = KEYS.filter((k) => addressOf.get(ring.members[ring.ownerOfString(k)].id) === victim.address);
  const half = Math.floor(mine.length / 2);
  const threeQuarters = Math.floor((mine.length * 3) / 4);
  return { rewrite: mine.slice(0, half), remove: mine.slice(half, threeQuarters), keep: mine.slice(threeQuarters) };
}

describe('a frozen node is ejected, then comes back without stale data', () => {
  const s = setup();

  it('its keys miss while it is out; after SIGCONT rewritten keys read new, deleted stay deleted, untouched read their old value from it', async () => {
    const client = s.client();
    await client.mset(...KEYS.flatMap((k) => [k, v0(k)]));
    const victim = s.nodes[0];
    const { rewrite, remove, keep } = await victimKeys(client, victim);
    assert.ok(keep.length > 10);

    victim.process.kill('SIGSTOP');
    // Reads of its keys miss, never fail, from the first one on.
    for (let i = 0; i < 5; i++) assert.equal(await client.get(keep[0]), null);
    await ejected(client, victim.address);
    // MGET across every node: nil for the ejected node's keys, values for the others.
    const other = KEYS.find((k) => !rewrite.includes(k) && !remove.includes(k) && !keep.includes(k))!;
    assert.deepEqual(await client.mget(keep[0], other), [null, v0(other)]);
    for (const k of rewrite) assert.equal(await client.set(k, v1(k)), 'OK');
    for (const k of remove) await client.del(k);
    assert.match((await client.call('JUPITER', 'NODES')) as string, new RegExp(`state=ejected .*since=\\d+ hints=${rewrite.length + remove.length}`));
    const metrics = await (await fetch(`http://127.0.0.1:${s.proxies[0].metricsPort}/metrics`)).text();
    assert.match(metrics, new RegExp(`jupiter_node_ejected\\{node="${victim.address}"\\} \\d{10}`));
    assert.match(metrics, /jupiter_ejections_total 1\b/);
    // An ejected node is out of the ring, so the proxy is ready again without it.
    const ready = await fetch(`http://127.0.0.1:${s.proxies[0].metricsPort}/readyz`);
    assert.deepEqual([ready.status, await ready.text()], [200, 'ready\n']);

    victim.process.kill('SIGCONT');
    await returned(client, victim.address);
    for (const k of rewrite) assert.equal(await client.get(k), v1(k), k);
    for (const k of remove) assert.equal(await client.get(k), null, k);
    for (const k of keep) assert.equal(await client.get(k), v0(k), k);
    // Every victim key is on the victim only: the stand-ins kept no copy.
    const [onVictim, ...others] = s.nodes.map((n) => s.direct(n));
    assert.equal(await onVictim.exists(...rewrite, ...keep), rewrite.length + keep.length);
    for (const o of others) assert.equal(await o.exists(...rewrite, ...remove, ...keep), 0);
  });
});

describe('a killed node restarted empty', () => {
  const s = setup();

  it('comes back with the keys written while it was out; the others miss', async () => {
    const client = s.client();
    await client.mset(...KEYS.flatMap((k) => [k, v0(k)]));
    const victim = s.nodes[0];
    const { rewrite, keep } = await victimKeys(client, victim);
    victim.process.kill('SIGKILL');
    await ejected(client, victim.address);
    for (const k of rewrite) await client.set(k, v1(k));
    s.nodes[0] = await victim.restart();
    await returned(client, victim.address);
    for (const k of rewrite) assert.equal(await client.get(k), v1(k), k);
    for (const k of keep) assert.equal(await client.get(k), null, k);
  });
});

describe('past eject.hintLimit', () => {
  const s = setup({ hintLimit: 5 });

  it('the returning node is flushed, so it never serves a stale value', async () => {
    const client = s.client();
    await client.mset(...KEYS.flatMap((k) => [k, v0(k)]));
    const victim = s.nodes[0];
    const { rewrite, keep } = await victimKeys(client, victim);
    victim.process.kill('SIGSTOP');
    await ejected(client, victim.address);
    for (const k of rewrite) await client.set(k, v1(k));
    assert.match((await client.call('JUPITER', 'NODES')) as string, /state=ejected .*since=\d+ hints=overflowed/);
    victim.process.kill('SIGCONT');
    await returned(client, victim.address);
    for (const k of rewrite) assert.equal(await client.get(k), v1(k), k);
    for (const k of keep) assert.equal(await client.get(k), null, `${k} was flushed, not served stale`);
  });
});

describe('two proxies, writes through both', () => {
  const s = setup({}, 2);

  it('agree on the ejection and the return; every write through either is seen after', async () => {
    const [a, b] = [s.client(0), s.client(1)];
    await a.mset(...KEYS.flatMap((k) => [k, v0(k)]));
    const victim = s.nodes[0];
    const { rewrite, remove, keep } = await victimKeys(a, victim);
    victim.process.kill('SIGSTOP');
    await Promise.all([ejected(a, victim.address), ejected(b, victim.address)]);
    for (const [i, k] of rewrite.entries()) await (i % 2 === 0 ? a : b).set(k, v1(k));
    for (const [i, k] of remove.entries()) await (i % 2 === 0 ? b : a).del(k);
    victim.process.kill('SIGCONT');
    await Promise.all([returned(a, victim.address), returned(b, victim.address)]);
    for (const k of rewrite) assert.equal(await b.get(k), v1(k), k);
    for (const k of remove) assert.equal(await a.get(k), null, k);
    for (const k of keep) assert.equal(await b.get(k), v0(k), k);
  });
});

describe('under load from 50 clients', () => {
  const s = setup();

  it('reads never fail through freeze, ejection, thaw and return (onDown: miss); every read sees its key’s last write or a miss', async () => {
    const setupClient = s.client();
    await setupClient.mset(...KEYS.flatMap((k) => [k, v0(k)]));
    const victim = s.nodes[0];
    let stopping = false;
    const readErrors: string[] = [];
    const wrong: string[] = [];
    let writeErrors = 0;
    let reads = 0;
    const loops = Array.from({ length: 50 }, async (_, c) => {
      // A request never answered fails the test as an error, instead of hanging it.
      const client = s.client(0, { commandTimeout: 15_000 });
      const mine = KEYS.filter((_, i) => i % 50 === c);
      const last = new Map(mine.map((k) => [k, v0(k)] as [string, string | null]));
      let n = 0;
      while (!stopping) {
        const k = mine[Math.floor(Math.random() * mine.length)];
        if (Math.random() < 0.7) {
          try {
            const got = await client.get(k);
            reads++;
            // A miss is allowed while the key's node is out; any value must be the last written.
            if (got !== null && last.get(k) !== null && got !== last.get(k)) wrong.push(`${k}: ${got}, last written ${last.get(k)}`);
          } catch (error) {
            readErrors.push((error as Error).message);
          }
        } else {
          const value = `c${c}-${++n}`;
          try {
            await client.set(k, value);
            last.set(k, value);
          } catch {
            // A write to the frozen node before it is ejected fails (it is not acknowledged undone);
            // what the key holds is then unknown until the next write succeeds.
            writeErrors++;
            last.set(k, null);
          }
        }
      }
    });
    const waitReads = (more: number) => {
      const target = reads + more;
      return until(`${more} more reads`, async () => reads >= target);
    };
    try {
      await waitReads(2000);
      victim.process.kill('SIGSTOP');
      await ejected(setupClient, victim.address);
      await waitReads(2000);
      victim.process.kill('SIGCONT');
      await returned(setupClient, victim.address);
      await waitReads(2000);
    } finally {
      stopping = true;
      await Promise.all(loops);
    }
    assert.deepEqual(readErrors.slice(0, 5), [], `${readErrors.length} reads failed`);
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} reads saw a value other than the last written`);
    assert.ok(writeErrors < 200, `${writeErrors} writes failed while the node was frozen and not yet ejected`);
  });
});
