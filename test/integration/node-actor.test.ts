// A NodeActor on its own, against real redis-server nodes: what its link does when the actor
// restarts, when a request outlives its timeout, and when the node reads too slowly.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { NodeHarness } from '../helpers/node-actor.js';
import { within } from '../helpers/placement.js';

const options = (node: RedisNode) => ({
  id: node.address,
  host: '127.0.0.1',
  port: node.port,
  requestTimeoutMs: 5000,
  connectTimeoutMs: 2000,
  reconnectMaxDelayMs: 200,
});

describe('a NodeActor restarted by its supervisor', () => {
  let redis: RedisNode;
  let harness: NodeHarness;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    harness?.stop();
    await redis.stop();
  });

  it("ignores its old socket's messages: a request sent right after the crash gets the node's reply", async () => {
    harness = new NodeHarness(options(redis));
    assert.equal(await within(harness.send('SET', 'gen', 'v1'), 5000), '+OK\r\n');
    // An unknown message crashes the actor; its old socket closes while the new instance starts,
    // so the old link's Disconnected waits in the mailbox the supervisor keeps.
    harness.tell({ type: 'NoSuchMessage' } as never);
    const after = harness.send('GET', 'gen');
    assert.equal(await within(after, 5000, 'GET after the restart'), '$2\r\nv1\r\n');
    assert.equal(harness.crashes.length, 1);
    for (let i = 0; i < 20; i++) assert.equal(await within(harness.send('INCR', 'gen:n'), 5000), `:${i + 1}\r\n`);
  });
});
