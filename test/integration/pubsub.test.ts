// Pub/Sub through jupiter on real nodes: subscriptions are fanned out inside jupiter over one
// subscriber connection per node, channels live on their owner node, patterns on every node.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import { startCluster, nodeActorsPlacement, type TestCluster } from '../helpers/cluster.js';
import { RawConnection } from '../helpers/resp.js';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { ringOf, waitStable } from '../helpers/handoff.js';
import { Ring } from '../../src/ring/ring.js';

/** Resolves with the next `count` messages a subscribed ioredis client gets, as `channel:message`. */
function nextMessages(client: Redis, count: number, event: 'message' | 'pmessage' | 'smessage' = 'message'): Promise<string[]> {
  return new Promise((resolve) => {
    const got: string[] = [];
    const on = (...args: string[]): void => {
      got.push(event === 'pmessage' ? `${args[0]}|${args[1]}:${args[2]}` : `${args[0]}:${args[1]}`);
      if (got.length < count) return;
      client.off(event, on);
      resolve(got);
    };
    client.on(event, on);
  });
}

describe('Pub/Sub through jupiter', () => {
  let cluster: TestCluster;
  let plain: RedisNode;
  let second: Proxy;

  before(async () => {
    [cluster, plain] = await Promise.all([startCluster(3), startRedis()]);
    second = await createProxy({ port: 0, nodes: cluster.nodes.map((n) => n.address), nodeActors: nodeActorsPlacement, log: { level: 'silent' } });
  });
  after(async () => {
    await second.stop(500);
    await Promise.all([cluster.stop(), plain.stop()]);
  });

  it('confirmations, counts, subscribed-mode errors and PING answer byte for byte as one redis-server does', async () => {
    const session = [
      ['SUBSCRIBE', 'news', 'sport'],
      ['PSUBSCRIBE', 'n*'],
      ['GET', 'k'],
      ['PING'],
      ['PING', 'hi'],
      ['UNSUBSCRIBE', 'news'],
      ['UNSUBSCRIBE'],
      ['PUNSUBSCRIBE'],
      ['UNSUBSCRIBE'],
      ['SSUBSCRIBE', 'shard-a'],
      ['SUNSUBSCRIBE'],
      ['PING'],
    ];
    const [viaJupiter, direct] = await Promise.all([RawConnection.connect(cluster.port), RawConnection.connect(plain.port)]);
    try {
      // Each subscription's confirmations are one reply per name.
      const replies = async (raw: RawConnection): Promise<string[]> => {
        raw.send(session);
        return (await raw.replies(13)).map(String);
      };
      assert.deepEqual(await replies(viaJupiter), await replies(direct));
    } finally {
      viaJupiter.close();
      direct.close();
    }
  });

  it('in RESP3, confirmations and messages are pushes, and other commands run while subscribed, as on one redis-server', async () => {
    const session = [['SUBSCRIBE', 'r3'], ['GET', 'r3:key'], ['PING'], ['PSUBSCRIBE', 'r3*'], ['UNSUBSCRIBE'], ['PUNSUBSCRIBE'], ['PING']];
    const run = async (port: number): Promise<string[]> => {
      const [raw, publisher] = await Promise.all([RawConnection.connect(port), RawConnection.connect(port)]);
      try {
        await raw.call([['HELLO', '3']]);
        const first = (await raw.call(session.slice(0, 3))).map(String);
        // A message while subscribed: a push between replies.
        await publisher.call([['PUBLISH', 'r3', 'pushed']]);
        const message = (await raw.replies(1)).map(String);
        const rest = (await raw.call(session.slice(3))).map(String);
        return [...first, ...message, ...rest];
      } finally {
        raw.close();
        publisher.close();
      }
    };
    const [viaJupiter, direct] = [await run(cluster.port), await run(plain.port)];
    assert.deepEqual(viaJupiter, direct);
    assert.equal(viaJupiter[3], '>3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$6\r\npushed\r\n');
  });

  it('a message published through either proxy reaches the subscribers of any proxy, once each', async () => {
    const [a, b] = [cluster.client(), new Redis({ port: second.port })];
    const [publisher, publisherOfSecond] = [cluster.client(), new Redis({ port: second.port })];
    try {
      await a.subscribe('room');
      await b.subscribe('room');
      const both = Promise.all([nextMessages(a, 2), nextMessages(b, 2)]);
      assert.equal(await publisher.publish('room', 'one'), 2, 'one subscriber connection per proxy on the node');
      assert.equal(await publisherOfSecond.publish('room', 'two'), 2);
      assert.deepEqual(await both, [
        ['room:one', 'room:two'],
        ['room:one', 'room:two'],
      ]);
    } finally {
      b.disconnect();
      publisherOfSecond.disconnect();
    }
  });

  it('a pattern hears channels that live on every node', async () => {
    const subscriber = cluster.client();
    const publisher = cluster.client();
    const { ring } = await ringOf(publisher);
    // One channel per node.
    const channels: string[] = [];
    for (let i = 0; channels.length < 3; i++) {
      const name = `feed:${i}`;
      if (!channels.some((c) => ring.ownerOfString(c) === ring.ownerOfString(name))) channels.push(name);
    }
    await subscriber.psubscribe('feed:*');
    const heard = nextMessages(subscriber, 3, 'pmessage');
    for (const c of channels) assert.equal(await publisher.publish(c, `to ${c}`), 1);
    assert.deepEqual((await heard).sort(), channels.map((c) => `feed:*|${c}:to ${c}`).sort());
  });

  it('1,000 subscribers to one channel use one subscriber connection on its node, and all get the message', async () => {
    const raws = await Promise.all(Array.from({ length: 1000 }, () => RawConnection.connect(cluster.port)));
    try {
      for (const raw of raws) raw.send([['SUBSCRIBE', 'crowd']]);
      await Promise.all(raws.map((raw) => raw.replies(1)));
      const { ring, addressOf } = await ringOf(cluster.client());
      const home = addressOf.get(ring.members[ring.ownerOfString('crowd')].id)!;
      const node = cluster.direct(cluster.nodes.findIndex((n) => n.address === home));
      assert.deepEqual(await node.pubsub('NUMSUB', 'crowd'), ['crowd', 1]);
      assert.equal(await cluster.client().publish('crowd', 'hello all'), 1);
      const messages = await Promise.all(raws.map((raw) => raw.replies(1)));
      assert.ok(messages.every(([m]) => String(m) === '*3\r\n$7\r\nmessage\r\n$5\r\ncrowd\r\n$9\r\nhello all\r\n'));
    } finally {
      for (const raw of raws) raw.close();
    }
  });

  it('SSUBSCRIBE hears SPUBLISH; node-redis subscribes; an unsubscribed client is quiet again', async () => {
    const shard = cluster.client();
    await shard.ssubscribe('orders');
    const heard = nextMessages(shard, 1, 'smessage');
    await cluster.client().spublish('orders', 'o-1');
    assert.deepEqual(await heard, ['orders:o-1']);

    const nodeRedis = createClient({ socket: { port: cluster.port, host: '127.0.0.1' }, RESP: 2 });
    await nodeRedis.connect();
    try {
      const got = new Promise<string>((resolve) => void nodeRedis.subscribe('nr-chan', (message) => resolve(message)));
      // node-redis resolves subscribe() once confirmed; publish until the confirmation is through.
      const publisher = cluster.client();
      let delivered = 0;
      for (let i = 0; delivered === 0 && i < 100; i++) {
        delivered = await publisher.publish('nr-chan', 'for node-redis');
        if (delivered === 0) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(await got, 'for node-redis');
      await nodeRedis.unsubscribe('nr-chan');
      assert.equal(String(await nodeRedis.ping()), 'PONG');
    } finally {
      await nodeRedis.quit();
    }
  });

  it('after its node restarts, a channel is subscribed again and messages flow', async () => {
    const subscriber = cluster.client();
    const publisher = cluster.client();
    const { ring, addressOf } = await ringOf(publisher);
    const home = addressOf.get(ring.members[ring.ownerOfString('survivor')].id)!;
    const index = cluster.nodes.findIndex((n) => n.address === home);
    await subscriber.subscribe('survivor');
    await cluster.nodes[index].stop();
    cluster.nodes[index] = await cluster.nodes[index].restart();
    const heard = nextMessages(subscriber, 1);
    // The subscription is back once a publish reaches a subscriber.
    for (;;) {
      const n = await publisher.publish('survivor', 'back').catch(() => 0);
      if (n > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(await heard, ['survivor:back']);
  });
});

describe('Pub/Sub across a membership change', () => {
  let cluster: TestCluster;
  let extra: RedisNode;

  before(async () => {
    cluster = await startCluster(2, { membership: { heartbeatMs: 100 } });
    extra = await startRedis();
  });
  after(async () => {
    await cluster.stop();
    await extra.stop();
  });

  it('a channel that moves to the new node is subscribed there, and its messages keep coming', async () => {
    const subscriber = cluster.client();
    const publisher = cluster.client();
    const { ring } = await ringOf(publisher);
    const next = Ring.build([...ring.members, { id: extra.address, weight: 1 }], 2);
    let channel = 'moving:0';
    for (let i = 1; next.members[next.ownerOfString(channel)].id !== extra.address; i++) channel = `moving:${i}`;
    await subscriber.subscribe(channel);
    const heard = nextMessages(subscriber, 2);
    assert.equal(await publisher.publish(channel, 'before'), 1);
    assert.equal(await publisher.call('JUPITER', 'ADDNODE', extra.address), 'OK');
    await waitStable(publisher, 2);
    // The new owner's subscription follows the ring the publisher routes by, a turn later at most.
    for (;;) {
      if ((await publisher.publish(channel, 'after')) === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await heard, [`${channel}:before`, `${channel}:after`]);
    const onExtra = new Redis({ port: extra.port });
    try {
      assert.deepEqual(await onExtra.pubsub('NUMSUB', channel), [channel, 1]);
    } finally {
      onExtra.disconnect();
    }
  });
});
