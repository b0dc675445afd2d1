// The membership record on real redis-server nodes: compare-and-set at the arbiter, copies on
// every member, heartbeats with a TTL, and the acknowledgement barrier.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { freePort } from '../helpers/ports.js';
import { startRedisNodes, type RedisNode } from '../helpers/redis.js';
import type { NodeEnd } from '../../src/handoff/mover.js';
import { ANNOUNCE_CHANNEL, ChangeRefusedError, RECORD_KEY, RecordStore, arbitersOf, type MembershipRecord, type RecordMember } from '../../src/handoff/record.js';

describe('the membership record', () => {
  let nodes: RedisNode[];
  const clients: Redis[] = [];
  let ends: Map<string, NodeEnd>;
  let members: RecordMember[];

  const record = (epoch: number, list: readonly RecordMember[]): MembershipRecord => ({ epoch, revision: 0, members: list, state: 'stable', changedAt: Date.now() });
  const store = (): RecordStore => new RecordStore(ends);

  before(async () => {
    nodes = await startRedisNodes(3);
    ends = new Map(
      nodes.map((n) => {
        const client = new Redis({ port: n.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
        clients.push(client);
        return [n.address, { id: n.address, client, host: '127.0.0.1', port: n.port }];
      }),
    );
    members = nodes.slice(0, 2).map((n) => ({ id: n.address, address: n.address, weight: 1 }));
  });
  beforeEach(async () => {
    for (const c of clients) await c.flushall();
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('a first record is written to every member and read back from any of them', async () => {
    await store().propose(null, record(1, members));
    for (const m of members) {
      const alone = new RecordStore(new Map([[m.id, ends.get(m.id)!]]));
      assert.equal((await alone.read())?.epoch, 1, `read from ${m.id}`);
    }
    assert.equal(await ends.get(nodes[2].address)!.client.exists(RECORD_KEY), 0, 'not on a node outside the members');
  });

  it('of two concurrent changes from the same epoch exactly one wins; the other is told the epoch that won', async () => {
    await store().propose(null, record(1, members));
    const current = (await store().read())!;
    const third = { id: nodes[2].address, address: nodes[2].address, weight: 1 };
    const outcomes = await Promise.allSettled([
      store().propose(current, record(2, [...members, third])),
      store().propose(current, record(2, [members[0]])),
    ]);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(lost[0].reason instanceof ChangeRefusedError);
    assert.match(lost[0].reason.message, /another change won: the membership record is at 2.0, not 1.0/);
    assert.equal((lost[0].reason as ChangeRefusedError).current?.epoch, 2);
    // Every node of both lists ends up with the winner's record.
    const winner = (await store().read())!;
    for (const e of ends.values()) {
      const text = await e.client.hget(RECORD_KEY, 'record');
      if (text !== null) assert.deepEqual(JSON.parse(text), winner);
    }
  });

  it('a node that missed a change is behind, and read() takes the newest epoch it finds', async () => {
    await store().propose(null, record(1, members));
    const arbiter = arbitersOf(members)[0];
    const other = members.find((m) => m.id !== arbiter)!;
    // As if the winner died between the compare-and-set and the copies.
    const two = record(2, members);
    await ends.get(arbiter)!.client.hset(RECORD_KEY, 'epoch', '2', 'record', JSON.stringify(two));
    assert.equal((await new RecordStore(new Map([[other.id, ends.get(other.id)!]])).read())?.epoch, 1);
    assert.deepEqual(await store().read(), two);
    // A proposal from the stale epoch loses at the arbiter.
    await assert.rejects(store().propose(record(1, members), record(2, [members[0]])), ChangeRefusedError);
  });

  it('with its first member down the next one by id decides, catching its own copy up first', async (t) => {
    const dead = new Redis({ port: await freePort(), host: '127.0.0.1', maxRetriesPerRequest: 1 });
    dead.on('error', () => {});
    t.after(() => dead.disconnect());
    await new Promise((resolve) => dead.once('reconnecting', resolve));
    const [b, c] = nodes;
    const named: RecordMember[] = [
      { id: 'a', address: '127.0.0.1:1', weight: 1 },
      { id: 'b', address: b.address, weight: 1 },
      { id: 'c', address: c.address, weight: 1 },
    ];
    const byName = new Map<string, NodeEnd>([
      ['a', { id: 'a', client: dead, host: '127.0.0.1', port: 1 }],
      ['b', { ...ends.get(b.address)!, id: 'b' }],
      ['c', { ...ends.get(c.address)!, id: 'c' }],
    ]);
    const s = new RecordStore(byName);
    // b missed epoch 1 (it was down): only c holds it.
    const one = record(1, named);
    await byName.get('c')!.client.hset(RECORD_KEY, 'epoch', '1', 'revision', '0', 'record', JSON.stringify(one));
    const two = record(2, named.slice(1));
    await s.propose(one, two);
    assert.deepEqual(await new RecordStore(new Map([['b', byName.get('b')!]])).read(), two, 'b decided, and holds epoch 2');
    assert.deepEqual(await new RecordStore(new Map([['c', byName.get('c')!]])).read(), two, 'c got the copy');
    await assert.rejects(s.propose(one, record(2, named)), /another change won: the membership record is at 2.0, not 1.0/);
    await assert.rejects(
      new RecordStore(new Map([['a', byName.get('a')!]])).propose(one, record(2, named)),
      /no member can hold the membership record: a \(down\)/,
    );
  });

  it('heartbeats run out after their TTL; the barrier waits for every live proxy to acknowledge the epoch', async () => {
    const s = store();
    await s.heartbeat('proxy-a', 3, 60_000);
    await s.heartbeat('proxy-b', 2, 60_000);
    await s.heartbeat('proxy-gone', 1, 1);
    // proxy-gone's heartbeat ran out at once: it is not waited for.
    while ((await s.liveProxies()).has('proxy-gone')) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual([...(await s.liveProxies())].sort(), [['proxy-a', 3], ['proxy-b', 2]]);
    await assert.rejects(s.acknowledged(3, 200), /proxies proxy-b did not acknowledge epoch 3 within 200 ms/);
    const waiting = s.acknowledged(3, 10_000);
    await s.heartbeat('proxy-b', 3, 60_000);
    assert.equal(await waiting, 2);
  });

  it('an announcement reaches a proxy following the channel on any node', async () => {
    const follower = new Redis({ port: nodes[1].port, host: '127.0.0.1' });
    clients.push(follower);
    await follower.subscribe(ANNOUNCE_CHANNEL);
    const heard = new Promise<string>((resolve) => follower.once('message', (_channel: string, text: string) => resolve(text)));
    await store().announce(7);
    assert.equal(await heard, '7');
  });
});
