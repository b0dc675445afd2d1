// Named nodes: the ring hashes a node's name when it has one, so the node can change address
// (a failover to its replica, a new IP) and keep its keys.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedisNodes, startRedis, type RedisNode } from '../helpers/redis.js';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';

describe('named nodes', () => {
  let nodes: RedisNode[];
  let replica: RedisNode;
  const proxies: Proxy[] = [];
  const clients: Redis[] = [];
  // Each proxy keeps its membership record in a database of its own unless told to share one.
  let database = 15;
  const proxy = async (list: string[], db = database--): Promise<Redis> => {
    const p = await createProxy({ port: 0, nodes: list, nodeActors: nodeActorsPlacement, log: { level: 'silent' }, membership: { database: db, heartbeatMs: 100 } });
    proxies.push(p);
    const c = new Redis({ port: p.port, host: '127.0.0.1' });
    clients.push(c);
    return c;
  };
  const direct = (node: RedisNode): Redis => {
    const c = new Redis({ port: node.port, host: '127.0.0.1' });
    clients.push(c);
    return c;
  };
  const keys = Array.from({ length: 300 }, (_, i) => `named:${i}`);

  before(async () => {
    nodes = await startRedisNodes(3);
    replica = await startRedis();
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const p of proxies) await p.stop(1000);
    await Promise.all([...nodes, replica].map((n) => n.stop()));
  });

  it("after a node's address changes to its replica's, a proxy that names the nodes finds every key; one that does not, misses some", async () => {
    const named = (third: RedisNode): string[] => [`n1=${nodes[0].address}`, `n2=${nodes[1].address}`, `n3=${third.address}`];
    const before = await proxy(named(nodes[2]));
    await before.mset(...keys.flatMap((k) => [k, `v-${k}`]));
    const onThird = await direct(nodes[2]).dbsize();
    assert.ok(onThird > 50, `${onThird} keys on the third node`);
    // The replica takes over the third node's data.
    const rep = direct(replica);
    await rep.replicaof('127.0.0.1', nodes[2].port);
    while ((await rep.dbsize()) < onThird || !String(await rep.info('replication')).includes('master_link_status:up')) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const afterFailover = await proxy(named(replica));
    assert.deepEqual(await afterFailover.mget(...keys), keys.map((k) => `v-${k}`));
    // The running proxy is told the new address: JUPITER REPLACENODE moves no key.
    await rep.replicaof('NO', 'ONE');
    assert.equal(await before.call('JUPITER', 'REPLACENODE', 'n3', replica.address), 'OK');
    while (!String(await before.call('JUPITER', 'STATUS')).includes('state:stable\r\nepoch:2')) await new Promise((r) => setTimeout(r, 20));
    assert.match(String(await before.call('JUPITER', 'NODES')), new RegExp(`^n3 address=${replica.address} weight=1 `, 'm'));
    assert.match(String(await before.call('JUPITER', 'STATUS')), /keys_moved:0\r\n/);
    await direct(nodes[2]).flushall();
    assert.deepEqual(await before.mget(...keys), keys.map((k) => `v-${k}`), 'every key is read from the new address');
    // Unnamed, the new address is a new ring member: keys move between nodes and some are not found.
    const unnamed = await proxy([nodes[0].address, nodes[1].address, replica.address]);
    const found = (await unnamed.mget(...keys)).filter((v) => v !== null).length;
    assert.ok(found < keys.length, `an unnamed ring found all ${found} keys`);
  });

  it('after REPLACENODE, the old address going away marks the member neither down nor failing (ejection on)', async () => {
    const [old, next] = await Promise.all([startRedis(), startRedis()]);
    const p = await createProxy({
      port: 0,
      nodes: [`n1=${nodes[0].address}`, `n2=${nodes[1].address}`, `n4=${old.address}`],
      nodeActors: nodeActorsPlacement,
      log: { level: 'silent' },
      membership: { database: 5, heartbeatMs: 100 },
      backend: { connectTimeoutMs: 200, reconnectMaxDelayMs: 50, requestTimeoutMs: 300 },
      eject: { enabled: true, failureLimit: 2, retryTimeoutMs: 60_000 },
    });
    proxies.push(p);
    const c = new Redis({ port: p.port, host: '127.0.0.1' });
    clients.push(c);
    try {
      assert.equal(await c.call('JUPITER', 'REPLACENODE', 'n4', next.address), 'OK');
      while (!String(await c.call('JUPITER', 'STATUS')).includes('state:stable\r\nepoch:2')) await new Promise((r) => setTimeout(r, 20));
      // The retired actor of the old address keeps serving what was routed to it for a while, and
      // fails to reconnect once the old node is gone: those failures are not the member's.
      const downs: string[] = [];
      p.on('node-down', (e) => downs.push(e.node));
      await old.stop();
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(downs, []);
      assert.match(String(await c.call('JUPITER', 'NODES')), /^n4 address=\S+ weight=1 state=up /m);
      const status = String(await c.call('JUPITER', 'STATUS'));
      assert.match(status, /\r\nmembers_up:3\r\n/);
      assert.match(status, /\r\nejected:\r\n/);
      await c.set('{n4-check}', 'v');
      assert.equal(await c.get('{n4-check}'), 'v');
    } finally {
      await Promise.all([old.stop(), next.stop()]);
    }
  });
});
