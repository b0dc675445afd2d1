import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import { startRedis, startRedisNodes, type RedisNode } from '../helpers/redis.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { misplaced, ringOf, status, waitStable } from '../helpers/handoff.js';
import { ownerOfKeyString } from '../../src/routing/hashkey.js';
import { sample, scrape } from '../helpers/prometheus.js';

describe('one proxy: ADDNODE and REMOVENODE hand keys off while serving', () => {
  let nodes: RedisNode[];
  let extra: RedisNode;
  let proxy: Proxy;
  let client: Redis;
  const clients: Redis[] = [];

  before(async () => {
    nodes = await startRedisNodes(3);
    extra = await startRedis();
    proxy = await createProxy({ port: 0, nodes: nodes.map((n) => n.address), nodeActors: nodeActorsPlacement, log: { level: 'silent' }, membership: { heartbeatMs: 100 }, metrics: { port: 0 } });
    client = new Redis({ port: proxy.port, maxRetriesPerRequest: 1 });
    clients.push(client);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await proxy.stop(1000);
    await Promise.all([...nodes, extra].map((n) => n.stop()));
  });

  const direct = (all: RedisNode[]): Map<string, Redis> =>
    new Map(
      all.map((n) => {
        const c = new Redis({ port: n.port });
        clients.push(c);
        return [n.address, c];
      }),
    );

  it('moves exactly the keys the new ring gives the new node, keeps every value and counter, and removes a node empty', async () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `key:${i}`);
    const pipeline = client.pipeline();
    keys.forEach((k) => pipeline.set(k, `v-${k}`));
    for (let i = 0; i < 100; i++) pipeline.incrby(`counter:${i}`, i);
    await pipeline.exec();
    const all = [...keys, ...Array.from({ length: 100 }, (_, i) => `counter:${i}`)];
    assert.equal((await status(client)).state, 'stable');

    assert.equal(await client.call('JUPITER', 'ADDNODE', extra.address), 'OK');
    // While the handoff runs, every counter keeps counting from its value.
    const during = Array.from({ length: 100 }, (_, i) => client.incr(`counter:${i}`));
    const s = await waitStable(client, 2);
    assert.deepEqual(await Promise.all(during), Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(s.members, '4');
    assert.ok(Number(s.keys_moved) > 500, `keys_moved ${s.keys_moved}`);
    const metrics = await scrape(proxy.metricsPort!);
    assert.deepEqual(
      ['jupiter_handoff_active', 'jupiter_handoff_keys_moved', 'jupiter_ring_epoch'].map((m) => sample(metrics, m)),
      [0, Number(s.keys_moved), 2],
    );
    const four = await ringOf(client);
    assert.deepEqual(await misplaced(all, four.ring, four.addressOf, direct([...nodes, extra])), []);
    assert.deepEqual(await client.mget(keys.slice(0, 50)), keys.slice(0, 50).map((k) => `v-${k}`));

    assert.equal(await client.call('JUPITER', 'REMOVENODE', nodes[0].address), 'OK');
    await waitStable(client, 3);
    const three = await ringOf(client);
    assert.equal(three.ring.members.length, 3);
    assert.deepEqual(await misplaced(all, three.ring, three.addressOf, direct([...nodes, extra])), []);
    const removed = new Redis({ port: nodes[0].port });
    clients.push(removed);
    assert.equal(await removed.dbsize(), 0, 'the removed node holds nothing');
    assert.deepEqual(await client.mget(all.slice(-3)), ['98', '99', '100']);
  });

  it("keeps the seed's hash= group together on its hash key's node while nodes come and go, and FLUSHALL keeps the record", async () => {
    // FLUSHALL through jupiter empties database 0 only: the record and the placement index stay.
    const before = await status(client);
    assert.equal(await client.flushall(), 'OK');
    const members = await ringOf(client);
    const record = new Redis({ port: Number(members.addressOf.values().next().value!.split(':')[1]), db: 15 });
    clients.push(record);
    assert.ok((await record.dbsize()) > 0, 'the membership record survived FLUSHALL');
    assert.equal((await status(client)).epoch, before.epoch);

    assert.equal(await client.call('MSET', 'key1', 'val1', 'key2', 'val2', 'key3', 'val3', 'hash=somekey'), 'OK');
    const all = direct([...nodes, extra]);
    const group = ['key1', 'key2', 'key3'];
    const check = async (step: string): Promise<string> => {
      const { ring, addressOf } = await ringOf(client);
      const home = addressOf.get(ring.members[ownerOfKeyString(ring, 'somekey', true)].id)!;
      const [cursor, found] = (await client.call('SCAN', '0', 'MATCH', 'key*', 'hash=somekey')) as [string, string[]];
      assert.equal(cursor, '0', step);
      assert.deepEqual(found.sort(), group, step);
      assert.deepEqual(await client.call('MGET', ...group, 'hash=somekey'), ['val1', 'val2', 'val3'], step);
      for (const [address, c] of all) {
        assert.equal(await c.exists(...group), address === home ? 3 : 0, `${step}: ${address} holds the group only if it is somekey's owner ${home}`);
      }
      return home;
    };
    const first = await check('written');
    let epoch = Number(before.epoch);
    assert.equal(await client.call('JUPITER', 'ADDNODE', nodes[0].address), 'OK');
    await waitStable(client, ++epoch);
    const added = await check('after ADDNODE');
    // Removing somekey's owner certainly gives somekey another owner.
    assert.equal(await client.call('JUPITER', 'REMOVENODE', added), 'OK');
    await waitStable(client, ++epoch);
    const last = await check('after REMOVENODE of its owner');
    assert.notEqual(last, added);
    assert.ok(added !== first || last !== first, "somekey's owner changed at least once");
  });
});
