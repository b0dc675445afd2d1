// Moving keys between real redis-server nodes as a handoff does: MIGRATE, DUMP/RESTORE, the
// fallback when MIGRATE is refused, the rule that a key already on the new owner is newer, and
// the migrator that drains an old owner for a new ring.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { KeyMover, MoveError, type NodeEnd } from '../../src/handoff/mover.js';
import { drainNode, type BatchMover } from '../../src/handoff/migrator.js';
import { PlacementIndex, PLACEMENT_INDEX } from '../../src/handoff/placement-index.js';
import { Ring } from '../../src/ring/ring.js';
import { ownerOfKeyString } from '../../src/routing/hashkey.js';

const clients: Redis[] = [];
function end(node: RedisNode): NodeEnd {
  const client = new Redis({ port: node.port, host: '127.0.0.1' });
  clients.push(client);
  return { id: node.address, client, host: '127.0.0.1', port: node.port };
}
const b = (s: string): Buffer => Buffer.from(s);

/** Writes one key of each kind on `e`, returns their names. */
async function seed(e: NodeEnd, prefix: string): Promise<string[]> {
  const c = e.client;
  await c.set(`${prefix}:str`, 'hello', 'PX', 600_000);
  await c.hset(`${prefix}:hash`, 'f1', 'v1', 'f2', 'v2');
  await c.rpush(`${prefix}:list`, 'a', 'b', 'c');
  await c.set(`${prefix}:bin`, Buffer.from([0, 255, 13, 10, 7]));
  return ['str', 'hash', 'list', 'bin'].map((k) => `${prefix}:${k}`);
}

async function expectMoved(from: NodeEnd, to: NodeEnd, prefix: string): Promise<void> {
  assert.equal(await from.client.exists(`${prefix}:str`, `${prefix}:hash`, `${prefix}:list`, `${prefix}:bin`), 0, 'left on the old owner');
  assert.equal(await to.client.get(`${prefix}:str`), 'hello');
  const ttl = await to.client.pttl(`${prefix}:str`);
  assert.ok(ttl > 500_000 && ttl <= 600_000, `expiry kept: ${ttl}`);
  assert.deepEqual(await to.client.hgetall(`${prefix}:hash`), { f1: 'v1', f2: 'v2' });
  assert.deepEqual(await to.client.lrange(`${prefix}:list`, 0, -1), ['a', 'b', 'c']);
  assert.deepEqual(await to.client.getBuffer(`${prefix}:bin`), Buffer.from([0, 255, 13, 10, 7]));
  assert.equal(await to.client.pttl(`${prefix}:hash`), -1, 'no expiry made up');
}

describe('KeyMover', () => {
  let nodes: RedisNode[];
  let noMigrate: RedisNode;
  let a: NodeEnd;
  let c: NodeEnd;
  let refusing: NodeEnd;

  before(async () => {
    nodes = await Promise.all([startRedis(), startRedis()]);
    noMigrate = await startRedis(undefined, ['--rename-command', 'MIGRATE', '']);
    [a, c] = nodes.map(end);
    refusing = end(noMigrate);
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all([...nodes, noMigrate].map((n) => n.stop()));
  });

  for (const method of ['migrate', 'restore'] as const) {
    it(`${method}: moves strings with their expiry, hashes, lists and binary values, and deletes the old copies`, async () => {
      const keys = await seed(a, method);
      const mover = new KeyMover({ method, timeoutMs: 5000 });
      const counts = await mover.move([...keys.map(b), b(`${method}:missing`)], a, c);
      assert.deepEqual(counts, method === 'migrate' ? { moved: 5, absent: 0, keptNewer: 0 } : { moved: 4, absent: 1, keptNewer: 0 });
      await expectMoved(a, c, method);
    });

    it(`${method}: a key already on the new owner is newer: the old copy is deleted, the new one kept`, async () => {
      await a.client.set(`${method}:counter`, '41');
      await c.client.set(`${method}:counter`, '1');
      await a.client.set(`${method}:plain`, 'x');
      const counts = await new KeyMover({ method, timeoutMs: 5000 }).move([b(`${method}:counter`), b(`${method}:plain`)], a, c);
      assert.deepEqual(counts, { moved: 1, absent: 0, keptNewer: 1 });
      assert.equal(await c.client.get(`${method}:counter`), '1');
      assert.equal(await a.client.exists(`${method}:counter`), 0);
      assert.equal(await c.client.get(`${method}:plain`), 'x');
    });
  }

  it('auto: falls back to DUMP/RESTORE for good once a node refuses MIGRATE', async () => {
    const keys = await seed(refusing, 'auto');
    const mover = new KeyMover({ method: 'auto', timeoutMs: 5000 });
    assert.equal(mover.current, 'migrate');
    assert.deepEqual(await mover.move(keys.map(b), refusing, c), { moved: 4, absent: 0, keptNewer: 0 });
    assert.equal(mover.current, 'restore');
    await expectMoved(refusing, c, 'auto');
  });

  it('migrate only: a refused MIGRATE is reported, and the keys stay where they were', async () => {
    await refusing.client.set('strict:k', 'v');
    await assert.rejects(new KeyMover({ method: 'migrate', timeoutMs: 5000 }).move([b('strict:k')], refusing, c), MoveError);
    assert.equal(await refusing.client.get('strict:k'), 'v');
    assert.equal(await c.client.exists('strict:k'), 0);
  });
});

describe('drainNode', () => {
  let nodes: RedisNode[];
  let ends: NodeEnd[];

  before(async () => {
    nodes = await Promise.all([startRedis(), startRedis(), startRedis()]);
    ends = nodes.map(end);
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('after a third node joins, moves to it exactly the keys the new ring gives it, {tag} keys with their tag, indexed keys with their hash key, and nothing else', async () => {
    const [a, bNode, c] = ends;
    const old = Ring.build([a, bNode].map((e) => ({ id: e.id, weight: 1 })), 1);
    const next = Ring.build([a, bNode, c].map((e) => ({ id: e.id, weight: 1 })), 2);
    const keys = [...Array.from({ length: 3000 }, (_, i) => `k:${i}`), ...Array.from({ length: 50 }, (_, i) => `user:{42}:f${i}`)];
    const byId = new Map(ends.map((e) => [e.id, e]));
    const ownerIn = (ring: Ring, key: string): NodeEnd => byId.get(ring.members[ownerOfKeyString(ring, key, true)].id)!;
    for (const e of [a, bNode]) {
      const mine = keys.filter((k) => ownerIn(old, k) === e);
      const pipeline = e.client.pipeline();
      for (const k of mine) pipeline.set(k, `v-${k}`);
      await pipeline.exec();
    }
    // A key written with hash=: on a node its name does not give it under the old ring.
    const pinned = keys.length;
    const strayKey = 'stray:' + Array.from({ length: 100 }, (_, i) => i).find((i) => ownerIn(old, `stray:${i}`) === bNode && ownerIn(next, `stray:${i}`) === c);
    await a.client.set(strayKey, 'pinned');
    // Keys written with hash=H and recorded in the placement index: they follow H from a to c.
    const hashKey = 'H' + Array.from({ length: 200 }, (_, i) => i).find((i) => ownerIn(old, `H${i}`) === a && ownerIn(next, `H${i}`) === c);
    const grouped = ['g1', 'g2', 'g3'];
    const indexOf = (e: NodeEnd): Redis => {
      const client = new Redis({ port: e.port, host: '127.0.0.1', db: 15 });
      clients.push(client);
      return client;
    };
    const [indexA, indexC] = [indexOf(a), indexOf(c)];
    for (const g of grouped) await a.client.set(g, `grouped-${g}`);
    await indexA.hset(PLACEMENT_INDEX, ...grouped.flatMap((g) => [g, hashKey]));
    const keyMover = new KeyMover({ method: 'auto', timeoutMs: 5000 });
    const index = new PlacementIndex(15);
    const mover: BatchMover = {
      move: async (batch, from, to) => {
        const placed = await index.lookup(from.client, batch);
        const counts = await keyMover.move(batch, from, to);
        await index.carry(batch, placed, from.client, to.client);
        return counts;
      },
      placedBy: (from, batch) => index.lookup(from.client, batch),
    };
    const reports: number[] = [];
    const results = [];
    for (const e of [a, bNode]) {
      results.push(await drainNode(e, old, next, byId, mover, { batch: 200, keysPerSecond: 0, hashTags: true }, (p) => reports.push(p.scanned)));
    }
    const expectedMoves = keys.filter((k) => ownerIn(next, k) === c).length;
    assert.ok(expectedMoves > 500, `${expectedMoves} keys move`);
    assert.equal(results.reduce((n, r) => n + r.moved, 0), expectedMoves + grouped.length);
    assert.equal(results.reduce((n, r) => n + r.scanned, 0), pinned + 1 + grouped.length);
    assert.deepEqual(await c.client.mget(...grouped), grouped.map((g) => `grouped-${g}`), 'the hash= group moved with its hash key');
    assert.deepEqual(await indexC.hgetall(PLACEMENT_INDEX), Object.fromEntries(grouped.map((g) => [g, hashKey])), 'and its index entries with it');
    assert.equal(await indexA.exists(PLACEMENT_INDEX), 0);
    await c.client.del(...grouped);
    assert.equal(results[0].leftInPlace, 1, 'the hash= key stays where it was written');
    assert.equal(await a.client.get(strayKey), 'pinned');
    await a.client.del(strayKey);
    assert.ok(results.every((r) => r.done && r.absent === 0 && r.keptNewer === 0));
    assert.ok(reports.length > 2, 'progress after each step');
    // Every key on exactly the node the new ring names, with its value.
    for (const e of ends) {
      const here = keys.filter((k) => ownerIn(next, k) === e);
      assert.equal(await e.client.dbsize(), here.length, `${e.id} holds only its own keys`);
      const values = here.length > 0 ? await e.client.mget(...here) : [];
      assert.deepEqual(values, here.map((k) => `v-${k}`));
    }
  });
});
