// A "node" that answers garbage (a stand-in TCP server, since a real redis-server cannot be made to):
// requests for its keys get an error naming it, its link is dropped and opened again, and nothing else
// is affected: other keys, other clients, and a split MGET that does not touch it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Redis } from 'ioredis';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import { startRedisNodes, type RedisNode } from '../helpers/redis.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { ownerOfKeyString } from '../../src/routing/hashkey.js';
import { Ring } from '../../src/ring/ring.js';
import { rejectionOf, within } from '../helpers/placement.js';

describe('a node that sends garbage', () => {
  let nodes: RedisNode[];
  let liar: net.Server;
  let liarAddress: string;
  let proxy: Proxy;
  let client: Redis;
  const sockets = new Set<net.Socket>();

  before(async () => {
    nodes = await startRedisNodes(2);
    liar = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      // Whatever it is asked, a reply no RESP parser accepts.
      socket.on('data', () => socket.write('!this is not RESP\r\n'));
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    liarAddress = `127.0.0.1:${(liar.address() as net.AddressInfo).port}`;
    proxy = await createProxy({
      port: 0,
      nodes: [...nodes.map((n) => n.address), liarAddress],
      nodeActors: nodeActorsPlacement,
      log: { level: 'silent' },
      backend: { connectTimeoutMs: 300, reconnectMaxDelayMs: 100, requestTimeoutMs: 1000 },
    });
    client = new Redis({ port: proxy.port, maxRetriesPerRequest: 0, protocol: 2, enableReadyCheck: false });
  });
  after(async () => {
    client.disconnect();
    await proxy.stop(500);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => liar.close(() => resolve()));
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it("answers its keys with an error naming it, resets its link, and serves every other key meanwhile", async () => {
    const ring = Ring.build([...nodes.map((n) => ({ id: n.address, weight: 1 })), { id: liarAddress, weight: 1 }], 1);
    const keys = Array.from({ length: 200 }, (_, i) => `bad:${i}`);
    const onLiar = keys.filter((k) => ring.members[ownerOfKeyString(ring, k, true)].id === liarAddress);
    const elsewhere = keys.filter((k) => !onLiar.includes(k));
    assert.ok(onLiar.length > 0 && elsewhere.length > 0);
    const reopened = new Promise<void>((resolve) => liar.once('connection', () => resolve()));
    // The client speaks RESP2 and skips the ready check's INFO (which every node gets), so its GET is
    // the first request on the node's link (a RESP3 link fails already at its HELLO).
    assert.equal(await proxy.ready(10_000), true);
    const error = await rejectionOf(client.get(onLiar[0]), 10_000);
    assert.equal(error.message, `ERR node ${liarAddress} protocol error: bad reply from node, link reset`);
    // Other keys, on this connection and on another, answer right.
    const other = new Redis({ port: proxy.port });
    try {
      for (const k of elsewhere.slice(0, 50)) assert.equal(await client.set(k, `v-${k}`), 'OK');
      assert.deepEqual(await other.mget(...elsewhere.slice(0, 50)), elsewhere.slice(0, 50).map((k) => `v-${k}`));
      // jupiter keeps connecting to it (its links, and the control plane's), and its keys keep failing alone.
      await within(reopened, 10_000, 'a new connection to the node');
      assert.match((await rejectionOf(client.get(onLiar[0]), 10_000)).message, /^ERR node /);
      assert.equal(await client.get(elsewhere[0]), `v-${elsewhere[0]}`);
    } finally {
      other.disconnect();
    }
  });
});
