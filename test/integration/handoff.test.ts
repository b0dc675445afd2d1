import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import { startRedis, startRedisNodes, type RedisNode } from '../helpers/redis.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { misplaced, ringOf, status, waitStable } from '../helpers/handoff.js';

describe('one proxy: ADDNODE and REMOVENODE hand keys off while serving', () => {
  let nodes: RedisNode[];
  let extra: RedisNode;
  let proxy: Proxy;
  let client: Redis;
  const clients: Redis[] = [];

  before(async () => {
    nodes = await startRedisNodes(3);
    extra = await startRedis();
    proxy = await createProxy({ port: 0, nodes: nodes.map((n) => n.address), nodeActors: nodeActorsPlacement, log: { level: 'silent' }, membership: { heartbeatMs: 100 } });
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
});
