// A NodeActor on its own, against real redis-server nodes: what its link does when the actor
// restarts, when a request outlives its timeout, and when the node reads too slowly.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { NodeHarness } from '../helpers/node-actor.js';
import { sleep, within } from '../helpers/placement.js';
import type { NodeOptions } from '../../src/actors/node.js';
import { WorkerHost } from '../../src/actors/placement.js';
import type { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';

const options = (node: RedisNode, overrides: Partial<NodeOptions> = {}): Omit<NodeOptions, 'health'> => ({
  id: node.address,
  host: '127.0.0.1',
  port: node.port,
  requestTimeoutMs: 5000,
  slowRequestTimeoutMs: 60000,
  connectTimeoutMs: 2000,
  reconnectMaxDelayMs: 200,
  maxQueuedBytes: 64 * 1024 * 1024,
  maxLeases: 1000,
  ...overrides,
});

/** A script that keeps the node busy for `ms` of its own clock, then answers "done". */
const spin = (ms: number): string[] => [
  'EVAL',
  `local s=redis.call('TIME') repeat local n=redis.call('TIME') until (n[1]-s[1])*1000000+(n[2]-s[2]) > ${ms * 1000} return 'done'`,
  '0',
];

const timedOut = (node: RedisNode): string => `-ERR node ${node.address} unavailable: request timed out\r\n`;

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

describe('a request that outlives its timeout', () => {
  let redis: RedisNode;
  const harnesses: NodeHarness[] = [];
  const harness = (overrides: Partial<NodeOptions>): NodeHarness => {
    const h = new NodeHarness(options(redis, overrides));
    harnesses.push(h);
    return h;
  };

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const h of harnesses) h.stop();
    redis.process.kill('SIGCONT');
    await redis.stop();
  });

  it('gets a timeout error alone: a request behind it that is not overdue gets its reply, on the same link', async () => {
    // The script runs 4 s against a 3 s timeout; the GET is sent 2 s in, so it is answered 2 s
    // later, 1 s inside its own timeout. Each margin is a full second.
    const h = harness({ requestTimeoutMs: 3000 });
    assert.equal(await h.send('SET', 'to:k', 'value'), '+OK\r\n');
    const linkBefore = await h.send('CLIENT', 'ID');
    const slow = h.send(...spin(4000));
    await sleep(2000);
    const get = h.send('GET', 'to:k');
    assert.equal(await within(slow, 10000, 'the script'), timedOut(redis));
    assert.equal(await within(get, 10000, 'the GET behind it'), '$5\r\nvalue\r\n');
    assert.equal(await h.send('CLIENT', 'ID'), linkBefore, 'the link was replaced');
    assert.equal(await h.send('INCR', 'to:n'), ':1\r\n');
    assert.deepEqual(
      h.health.filter((e) => !e.up),
      [],
      'the node was reported down',
    );
  });

  it('on a frozen node tears the link down once a PING on a fresh connection gets no answer, and reconnects after', async () => {
    const h = harness({ requestTimeoutMs: 500, connectTimeoutMs: 500 });
    await h.healthEvent((e) => e.up);
    const linkBefore = await h.send('CLIENT', 'ID');
    redis.process.kill('SIGSTOP');
    try {
      assert.equal(await within(h.send('GET', 'to:k'), 10000, 'GET on the frozen node'), timedOut(redis));
      const down = await within(
        h.healthEvent((e) => !e.up),
        10000,
        'the link torn down',
      );
      assert.equal(down.reason, 'node unresponsive');
    } finally {
      redis.process.kill('SIGCONT');
    }
    for (;;) {
      const reply = await h.send('CLIENT', 'ID');
      if (reply.startsWith(':')) {
        assert.notEqual(reply, linkBefore);
        break;
      }
      await sleep(50);
    }
  });
});

describe('commands known to be slow', () => {
  let redis: RedisNode;
  let h: NodeHarness;

  before(async () => {
    redis = await startRedis();
    h = new NodeHarness(options(redis, { requestTimeoutMs: 1000, slowRequestTimeoutMs: 20000 }));
  });
  after(async () => {
    h.stop();
    await redis.stop();
  });

  it('ride a link of their own, with their own timeout', async () => {
    const shared = await h.send('CLIENT', 'ID');
    const side = await h.sendSlow('CLIENT', 'ID');
    assert.match(shared, /^:\d+\r\n$/);
    assert.match(side, /^:\d+\r\n$/);
    assert.notEqual(side, shared);
    // 1.5 s is past the shared link's timeout, well inside the side link's.
    assert.equal(await within(h.sendSlow(...spin(1500)), 20000), '$4\r\ndone\r\n');
    assert.equal(await h.send('CLIENT', 'ID'), shared);
  });
});

describe('a node that does not read its requests', () => {
  let redis: RedisNode;
  let h: NodeHarness;

  before(async () => {
    redis = await startRedis();
    h = new NodeHarness(options(redis, { requestTimeoutMs: 60000, maxQueuedBytes: 1024 * 1024 }));
  });
  after(async () => {
    h.stop();
    redis.process.kill('SIGCONT');
    await redis.stop();
  });

  it('gets no more requests once its link holds maxQueuedBytes unsent: they are refused with a busy error at once', async () => {
    await h.healthEvent((e) => e.up);
    redis.process.kill('SIGSTOP');
    const value = Buffer.alloc(1024 * 1024, 120);
    const replies: Promise<string>[] = [];
    const early: string[] = [];
    // 64 MiB for a node that reads nothing: the kernel's socket buffers take a few MiB, the rest
    // would pile up in jupiter's memory.
    for (let i = 0; i < 64; i++) {
      const reply = h.send('SET', `bp:${i}`, value);
      reply.then((r) => early.push(r));
      replies.push(reply);
      await new Promise((r) => setImmediate(r));
    }
    const busy = `-ERR node ${redis.address} busy: too many request bytes waiting to be sent\r\n`;
    while (!early.includes(busy)) await new Promise((r) => setImmediate(r));
    assert.ok(early.every((r) => r === busy), `answers while the node is frozen: ${[...new Set(early)]}`);
    redis.process.kill('SIGCONT');
    const all = await within(Promise.all(replies), 20000, 'the replies after the node thawed');
    const refused = all.filter((r) => r === busy).length;
    assert.ok(refused > 0 && refused < 64, `refused ${refused}`);
    assert.deepEqual(new Set(all), new Set(['+OK\r\n', busy]));
  });
});

describe('a NodeActor in a worker thread that dies', () => {
  let redis: RedisNode;
  let host: WorkerHost;
  let h: NodeHarness;

  before(async () => {
    redis = await startRedis();
    h = new NodeHarness(options(redis, { requestTimeoutMs: 30000 }), (runtime, o) => {
      host = new WorkerHost(runtime, () => {});
      return host.spawn('node', o);
    });
  });
  after(async () => {
    await host.close();
    await redis.stop();
  });

  it('answers each request that was inside it with an error, and the restarted worker serves the next ones', async () => {
    assert.equal(await within(h.send('SET', 'w:k', 'v'), 10000), '+OK\r\n');
    // A BLPOP waits at the node without blocking it (jupiter's router never sends one on the
    // shared link; this test talks to the NodeActor directly), so requests stay inside the worker.
    const inside = h.send('BLPOP', 'w:list', '20');
    const behind = h.send('GET', 'w:k');
    // Once the node holds the BLPOP, the worker dies as a crash would end it.
    while (!(await directClientList(redis)).includes('cmd=blpop')) await sleep(20);
    await (host as unknown as { worker: Worker }).worker.terminate();
    const error = '-ERR jupiter internal error, the request was not completed\r\n';
    assert.equal(await within(inside, 10000, 'the BLPOP inside the dead worker'), error);
    assert.equal(await within(behind, 10000, 'the GET inside the dead worker'), error);
    for (;;) {
      const reply = await within(h.send('GET', 'w:k'), 10000, 'GET after the restart');
      if (reply === '$1\r\nv\r\n') break;
      assert.match(reply, /^-ERR node .* (unavailable|busy)/);
      await sleep(50);
    }
  });
});

/** CLIENT LIST as the node itself answers it. */
async function directClientList(node: RedisNode): Promise<string> {
  const r = new Redis({ port: node.port, host: '127.0.0.1' });
  try {
    return String(await r.client('LIST'));
  } finally {
    r.disconnect();
  }
}
