// Embedding: the handle createProxy returns (ring, events, the membership calls), and the whole
// proxy in a worker thread with startInWorker, whose clients are served while the host's own
// event loop is blocked.
import { fileURLToPath } from 'node:url';
import { ADMIN_ANSWER_MS } from '../../src/actors/extensions.js';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { startRedisNodes, type RedisNode } from '../helpers/redis.js';
import { createProxy, MembershipChangeError, type Proxy } from '../../src/actors/system.js';
import { startInWorker, type WorkerProxy } from '../../src/embed/in-worker.js';
import { within } from '../helpers/placement.js';

/** Resolves with the first event the subscription sees that `accept` takes. */
function nextEvent<T>(subscribe: (listener: (data: T) => void) => void, accept: (data: T) => boolean): Promise<T> {
  return new Promise((resolve) => subscribe((data) => accept(data) && resolve(data)));
}

describe('embedding', () => {
  let nodes: RedisNode[];
  const clients: Redis[] = [];
  const client = (port: number): Redis => {
    const r = new Redis({ port, host: '127.0.0.1' });
    clients.push(r);
    return r;
  };

  before(async () => {
    nodes = await startRedisNodes(3);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
  });

  describe('createProxy', () => {
    let proxy: Proxy;
    before(async () => {
      proxy = await createProxy({ port: 0, nodes: nodes.map((n) => n.address), log: { level: 'silent' } });
    });
    after(() => proxy.stop(1000));

    it("an application's JUPITER subcommand whose actor never answers gets an error after 5 s; other clients are served meanwhile", async () => {
      const silent = proxy.runtime.spawn({ name: 'silent', create: () => ({ receive() {} }) });
      const remove = proxy.addAdminCommand('SILENT', silent);
      try {
        const asking = client(proxy.port);
        const other = client(proxy.port);
        const started = Date.now();
        const refused = assert.rejects(asking.call('JUPITER', 'SILENT'), /^ReplyError: ERR JUPITER SILENT failed: /);
        assert.equal(await other.ping(), 'PONG');
        await refused;
        assert.ok(Date.now() - started >= ADMIN_ANSWER_MS - 50, `answered after ${Date.now() - started} ms`);
        assert.equal(await asking.ping(), 'PONG');
      } finally {
        remove();
      }
    });

    it('ring() lists every member with its address, weight and share; a change that cannot apply rejects with why', async () => {
      // The nodes connect after start; ready() waits until each is up.
      assert.equal(await proxy.ready(10_000), true);
      const ring = await proxy.ring();
      assert.ok(ring.members.every((m) => m.up));
      assert.equal(ring.epoch, 1);
      assert.deepEqual(
        ring.members.map((m) => [m.id, m.address, m.weight]),
        nodes.map((n) => [n.address, n.address, 1]).sort(),
      );
      assert.ok(Math.abs(ring.members.reduce((s, m) => s + m.share, 0) - 1) < 1e-9);
      await assert.rejects(proxy.addNode('127.0.0.1:1'), /^MembershipChangeError: ADDNODE 127.0.0.1:1 1: 127.0.0.1:1 does not answer PING/);
      await assert.rejects(proxy.addNode(nodes[0].address), /is already a member/);
      await assert.rejects(proxy.removeNode('nowhere:1'), MembershipChangeError);
      await assert.rejects(proxy.setWeight(nodes[0].address, 1), /already has weight 1/);
      await assert.rejects(proxy.replaceNode(nodes[0].address, '127.0.0.1:2'), /has no name/);
      assert.equal((await proxy.ring()).epoch, 1, 'nothing changed');
    });
  });

  describe('startInWorker', () => {
    let proxy: WorkerProxy;
    let extra: RedisNode;
    before(async () => {
      extra = (await startRedisNodes(1))[0];
      proxy = await startInWorker(
        { port: 0, nodes: nodes.map((n) => n.address), log: { level: 'silent' }, membership: { heartbeatMs: 100 } },
        { extensions: [fileURLToPath(new URL('../fixtures/echo-extension.ts', import.meta.url))] },
      );
    });
    after(async () => {
      await proxy.stop(1000);
      await extra.stop();
    });

    it("runs extension modules in the worker: their actors tap requests and answer a JUPITER subcommand", async () => {
      const c = client(proxy.port);
      for (let i = 0; i < 5; i++) await c.set(`ext:${i}`, 'v');
      // Taps are told after each turn: the count reaches the five SETs (and whatever ioredis sent first).
      let answer: [string, number];
      do answer = (await c.call('JUPITER', 'ECHOCOUNT', 'hello', 'there')) as [string, number];
      while (answer[1] < 5);
      assert.equal(answer[0], 'hello there');
      await assert.rejects(
        startInWorker({ port: 0, nodes: nodes.map((n) => n.address), log: { level: 'silent' } }, { extensions: ['/nonexistent/extension.js'] }),
        /Cannot find module|ERR_MODULE_NOT_FOUND|nonexistent/,
      );
    });

    it('serves clients on its port, and answers status(), ring() and events across the thread', async () => {
      const c = client(proxy.port);
      assert.equal(await c.set('embed:k', 'v'), 'OK');
      assert.equal(await c.get('embed:k'), 'v');
      assert.equal((await proxy.ring()).members.length, 3);
      assert.equal((await proxy.status()).epoch, 1);
      // A node added across the thread; its handoff's progress and steps are heard by the host.
      const stable = nextEvent<{ epoch: number; members: number }>((l) => void proxy.on('ring-changed', l), (e) => e.epoch === 2);
      await new Promise((r) => setTimeout(r, 0));
      await proxy.addNode(extra.address);
      await within(stable, 10_000, 'the ring-changed event of epoch 2');
      while ((await proxy.ring()).state !== 'stable') await new Promise((r) => setTimeout(r, 20));
      assert.equal((await proxy.ring()).members.length, 4);
      assert.equal(await c.get('embed:k'), 'v', 'the key is still found, wherever it went');
      // A node going down is heard by the host's listener.
      const down = nextEvent<{ node: string; reason?: string }>((l) => void proxy.on('node-down', l), (e) => e.node === extra.address);
      await new Promise((r) => setTimeout(r, 0));
      for (;;) {
        const status = await proxy.status();
        if (status.nodes.find((n) => n.id === extra.address)?.up) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(await proxy.ready(10_000), true);
      await extra.stop();
      assert.equal((await within(down, 10_000, 'the node-down event')).node, extra.address);
      // A member down: not ready (the answer comes when the timeout ends).
      assert.equal(await proxy.ready(200), false);
    });

    it("keeps serving its clients while the host's own event loop is blocked", async () => {
      // A client in another process PINGs every 10 ms and prints when each answer came.
      const pinger = spawn(
        process.execPath,
        [
          '-e',
          `const s = require('net').connect(${proxy.port}, '127.0.0.1');
           const end = Date.now() + 6000;
           s.on('data', (d) => { for (const _ of d.toString().split('+PONG').slice(1)) console.log(Date.now()); });
           const tick = () => { if (Date.now() > end) { s.end(); return; } s.write('PING\\r\\n'); setTimeout(tick, 10); };
           s.on('connect', tick);`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      pinger.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise((resolve) => pinger.once('exit', resolve));
      try {
        while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 10));
        const from = Date.now();
        while (Date.now() < from + 1500); // the host is busy: no timers, no I/O, no promises here
        const to = Date.now();
        await exited;
        const answeredWhileBlocked = out
          .trim()
          .split('\n')
          .map(Number)
          .filter((t) => t > from + 200 && t < to - 200);
        assert.ok(answeredWhileBlocked.length >= 10, `${answeredWhileBlocked.length} PINGs answered while the host was blocked`);
      } finally {
        pinger.kill();
      }
    });
  });
});
