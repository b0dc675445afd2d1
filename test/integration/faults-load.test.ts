// Faults under load: 50 clients run SET and GET on keys spread over three nodes while one node is
// killed and restarted, then another frozen (SIGSTOP) and thawed. jupiter must answer every
// request (no hang), give errors only for the faulted node's keys (naming it), never a wrong
// value, and serve that node's keys again once it is back.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import type { RedisNode } from '../helpers/redis.js';
import { within } from '../helpers/placement.js';
import { Ring } from '../../src/ring/ring.js';
import { ownerOfKeyString } from '../../src/routing/hashkey.js';

const CLIENTS = 50;
const KEYS_PER_CLIENT = 12;
/** Far above the request timeout: a request unanswered this long is a hang. */
const ANSWER_WITHIN_MS = 15_000;
/** Far above what a fault or a recovery needs on a loaded machine; the test waits for events, not for this. */
const PHASE_WITHIN_MS = 60_000;
/** Requests in a row answered right on the faulted node's keys: it is back. */
const RECOVERED_STREAK = 300;

interface Tally {
  ok: number[];
  errors: number[];
  /** Current run of successes on each node's keys. */
  streak: number[];
}

describe('a node killed, then one frozen, under load from 50 clients', () => {
  let cluster: TestCluster;
  let restarted: RedisNode | undefined;
  let frozen: RedisNode | undefined;
  const clients: Redis[] = [];

  before(async () => {
    cluster = await startCluster(3, { backend: { requestTimeoutMs: 500, connectTimeoutMs: 300, reconnectMaxDelayMs: 200 } });
    assert.equal(await cluster.proxy.ready(10_000), true);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    if (frozen !== undefined) frozen.process.kill('SIGCONT');
    await cluster.stop();
    await restarted?.stop();
  });

  it('answers every request, fails only the faulted node keys, never a wrong value, and recovers', async () => {
    const addresses = cluster.nodes.map((n) => n.address);
    const ring = Ring.build(addresses.map((id) => ({ id, weight: 1 })), 1);
    const ownerOf = (key: string): number => addresses.indexOf(ring.members[ownerOfKeyString(ring, key, true)].id);
    const tally: Tally = { ok: [0, 0, 0], errors: [0, 0, 0], streak: [0, 0, 0] };
    const problems: string[] = [];
    /** Nodes whose keys may fail now or may have lost their values. */
    const faulted = new Set<number>();
    const lossy = new Set<number>();
    let running = true;
    const progress = new EventTarget();

    const load = async (client: Redis, c: number): Promise<void> => {
      const keys = Array.from({ length: KEYS_PER_CLIENT }, (_, j) => `fl:${c}:${j}`);
      // What each key may hold: the last value set, plus any whose SET failed (a frozen node runs it once thawed).
      const possible = keys.map(() => new Set<string | null>([null]));
      for (let n = 0; running; n++) {
        const j = n % KEYS_PER_CLIENT;
        const key = keys[j];
        const node = ownerOf(key);
        const value = `v:${c}:${n}`;
        const writing = (n >> 4) % 2 === 0;
        try {
          if (writing) {
            assert.equal(await within(client.set(key, value), ANSWER_WITHIN_MS, `SET ${key}`), 'OK');
            possible[j] = new Set([value]);
          } else {
            const got = await within(client.get(key), ANSWER_WITHIN_MS, `GET ${key}`);
            if (!possible[j].has(got) && !(got === null && lossy.has(node))) problems.push(`GET ${key} gave ${got}, expected one of ${[...possible[j]]}`);
          }
          tally.ok[node]++;
          tally.streak[node]++;
        } catch (error) {
          const message = (error as Error).message;
          if (message.includes('did not settle')) problems.push(message);
          else if (!faulted.has(node)) problems.push(`${key} on a healthy node failed: ${message}`);
          else if (!message.startsWith(`ERR node ${addresses[node]} `)) problems.push(`${key} failed without naming its node: ${message}`);
          if (writing) possible[j].add(value);
          tally.errors[node]++;
          tally.streak[node] = 0;
        }
        progress.dispatchEvent(new Event('answer'));
      }
    };
    /** Resolves once the condition holds, checked after every answer. */
    const until = (what: string, condition: () => boolean): Promise<void> =>
      within(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (!condition()) return;
            progress.removeEventListener('answer', check);
            resolve();
          };
          progress.addEventListener('answer', check);
          check();
        }),
        PHASE_WITHIN_MS,
        what,
      );

    for (let c = 0; c < CLIENTS; c++) clients.push(new Redis({ port: cluster.port, maxRetriesPerRequest: 0 }));
    const loops = clients.map((client, c) => load(client, c));
    await until('warm-up', () => tally.ok.every((n) => n >= 200));

    // Killed: its keys fail, the others are served meanwhile; restarted: its keys are served again (empty).
    const KILLED = 1;
    faulted.add(KILLED);
    lossy.add(KILLED);
    const victim = cluster.nodes[KILLED];
    const exited = once(victim.process, 'exit');
    victim.process.kill('SIGKILL');
    await exited;
    const before1 = { errors: tally.errors[KILLED], others: tally.ok[0] + tally.ok[2] };
    await until('errors for the killed node', () => tally.errors[KILLED] >= before1.errors + 50 && tally.ok[0] + tally.ok[2] >= before1.others + 500);
    restarted = await victim.restart();
    await until('the restarted node served again', () => tally.streak[KILLED] >= RECOVERED_STREAK);
    faulted.delete(KILLED);

    // Frozen: its keys time out, the others are served meanwhile; thawed: served again.
    const FROZEN = 2;
    faulted.add(FROZEN);
    frozen = cluster.nodes[FROZEN];
    frozen.process.kill('SIGSTOP');
    const before2 = { errors: tally.errors[FROZEN], others: tally.ok[0] + tally.ok[1] };
    await until('errors for the frozen node', () => tally.errors[FROZEN] >= before2.errors + 50 && tally.ok[0] + tally.ok[1] >= before2.others + 500);
    frozen.process.kill('SIGCONT');
    frozen = undefined;
    await until('the thawed node served again', () => tally.streak[FROZEN] >= RECOVERED_STREAK);

    running = false;
    await within(Promise.all(loops), ANSWER_WITHIN_MS, 'the clients finishing');
    assert.deepEqual(problems.slice(0, 10), []);
    assert.equal(tally.errors[0], 0, 'the healthy node never failed');
    const fresh = new Redis({ port: cluster.port });
    clients.push(fresh);
    assert.equal(await fresh.ping(), 'PONG');
  });
});
