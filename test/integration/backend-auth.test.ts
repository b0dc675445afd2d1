// jupiter's own credentials on nodes that require them: every link (shared, leased, subscriber),
// the control plane and MIGRATE during a handoff sign in; a node refusing them is reported down
// with the reason, and its keys answer an error naming it, never a node's NOAUTH.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { misplaced, ringOf, waitStable } from '../helpers/handoff.js';
import { rejectionOf, within } from '../helpers/placement.js';
import { runCli } from '../helpers/cli.js';
import { BlobStore } from '../../src/blob/store.js';

const NODE_PASSWORD = 'node-Pass-5e1';

describe('nodes that require a password', () => {
  let nodes: RedisNode[];
  let extra: RedisNode;
  let proxy: Proxy;
  let client: Redis;
  let dir: string;
  const others: Redis[] = [];

  before(async () => {
    const locked = ['--requirepass', NODE_PASSWORD];
    [extra, ...nodes] = await Promise.all([0, 1, 2, 3].map(() => startRedis(undefined, locked)));
    dir = mkdtempSync(path.join(tmpdir(), 'jupiter-secret-'));
    // The password from a file, as a mounted secret gives it.
    writeFileSync(path.join(dir, 'node-password'), `${NODE_PASSWORD}\n`);
    proxy = await createProxy({
      port: 0,
      nodes: nodes.map((n) => n.address),
      nodeActors: nodeActorsPlacement,
      log: { level: 'silent' },
      membership: { heartbeatMs: 100 },
      backend: { passwordFile: path.join(dir, 'node-password') },
    });
    client = new Redis({ port: proxy.port, maxRetriesPerRequest: 1 });
  });
  after(async () => {
    client.disconnect();
    for (const o of others) o.disconnect();
    await proxy.stop(1000);
    await Promise.all([...nodes, extra].map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves keys on every node, a blocking pop on a leased link and Pub/Sub on the subscriber link', async () => {
    assert.equal(await proxy.ready(10_000), true);
    const keys = Array.from({ length: 300 }, (_, i) => `ba:${i}`);
    assert.equal(await client.mset(...keys.flatMap((k) => [k, `v-${k}`])), 'OK');
    assert.deepEqual(await client.mget(...keys.slice(0, 20)), keys.slice(0, 20).map((k) => `v-${k}`));
    const direct = nodes.map((n) => new Redis({ port: n.port, password: NODE_PASSWORD }));
    others.push(...direct);
    const sizes = await Promise.all(direct.map((d) => d.dbsize()));
    assert.ok(sizes.every((s) => s > 0), `every node holds keys: ${sizes}`);

    const blocked = new Redis({ port: proxy.port });
    others.push(blocked);
    const popped = blocked.blpop('ba:queue', 10);
    await new Promise((r) => setTimeout(r, 50));
    await client.rpush('ba:queue', 'job');
    assert.deepEqual(await within(popped, 10_000, 'BLPOP'), ['ba:queue', 'job']);

    const subscriber = new Redis({ port: proxy.port });
    others.push(subscriber);
    await subscriber.subscribe('ba:news');
    const heard = new Promise<string>((resolve) => subscriber.on('message', (_channel, message: string) => resolve(message)));
    await client.publish('ba:news', 'hello');
    assert.equal(await within(heard, 10_000, 'the message'), 'hello');
  });

  it('hands keys off to an added node with MIGRATE ... AUTH', async () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `bh:${i}`);
    await client.mset(...keys.flatMap((k) => [k, `v-${k}`]));
    assert.equal(await client.call('JUPITER', 'ADDNODE', extra.address), 'OK');
    const s = await waitStable(client, 2);
    assert.ok(Number(s.keys_moved) > 200, `keys_moved ${s.keys_moved}`);
    // MIGRATE carried the password: the method did not fall back to DUMP/RESTORE.
    assert.match((await client.call('JUPITER', 'STATUS')) as string, /\r\nmove_method:migrate\r\nmove_failures:0\r\n/);
    const four = await ringOf(client);
    const direct = new Map([...nodes, extra].map((n) => [n.address, new Redis({ port: n.port, password: NODE_PASSWORD })]));
    others.push(...direct.values());
    assert.deepEqual(await misplaced(keys, four.ring, four.addressOf, direct), []);
    assert.ok((await direct.get(extra.address)!.dbsize()) > 200, 'the new node holds its keys');
    assert.deepEqual(await client.mget(...keys.slice(0, 50)), keys.slice(0, 50).map((k) => `v-${k}`));
  });

  it('a wrong password: the node is reported down with why, and its keys answer an error naming it', async () => {
    const wrong = await createProxy({
      port: 0,
      nodes: [nodes[0].address],
      log: { level: 'silent' },
      backend: { password: 'not-it', connectTimeoutMs: 300, reconnectMaxDelayMs: 200 },
    }).catch((error: Error) => error);
    // Without the password the membership record cannot be read or written: jupiter says so at start,
    // or it starts and refuses the node's requests.
    if (wrong instanceof Error) {
      assert.match(wrong.message, /WRONGPASS|NOAUTH|refused|record/i);
      return;
    }
    try {
      const c = new Redis({ port: wrong.port, maxRetriesPerRequest: 0 });
      others.push(c);
      // In flight when the node refuses: the refusal; sent while the link is down: unavailable.
      const error = await rejectionOf(c.get('k'), 10_000);
      const address = nodes[0].address.replace(/\./g, '\\.');
      assert.match(error.message, new RegExp(`^ERR node ${address} (refused jupiter's credentials \\(backend\\.username, backend\\.password\\)|unavailable)$`));
      assert.equal(await wrong.ready(300), false);
      const { nodes: health } = await wrong.status();
      assert.match(health[0].reason ?? '', /^AUTH refused: WRONGPASS/);
    } finally {
      await wrong.stop(500);
    }
  });
});

describe('nodes each with a password of their own', () => {
  const passwords = ['own-0-a81', 'own-1-b92', 'own-2-c03', 'own-3-d14'];
  let nodes: RedisNode[];
  let proxy: Proxy;
  let client: Redis;
  let dir: string;
  const direct: Redis[] = [];

  before(async () => {
    nodes = await Promise.all(passwords.map((p) => startRedis(undefined, ['--requirepass', p])));
    dir = mkdtempSync(path.join(tmpdir(), 'jupiter-own-'));
    writeFileSync(path.join(dir, 'node-1'), `${passwords[1]}\n`);
    proxy = await createProxy({
      port: 0,
      // backend.password is wrong for every node: each node's own must win.
      nodes: [
        { address: nodes[0].address, password: passwords[0] },
        { address: nodes[1].address, passwordFile: path.join(dir, 'node-1') },
        { host: '127.0.0.1', port: nodes[2].port, password: passwords[2] },
      ],
      nodeActors: nodeActorsPlacement,
      log: { level: 'silent' },
      membership: { heartbeatMs: 100 },
      backend: { password: 'the-default-is-wrong' },
    });
    client = new Redis({ port: proxy.port, maxRetriesPerRequest: 1 });
    direct.push(...nodes.map((n, i) => new Redis({ port: n.port, password: passwords[i] })));
  });
  after(async () => {
    client.disconnect();
    for (const d of direct) d.disconnect();
    await proxy.stop(1000);
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in to each node with its own password, and hands keys to an added node with its own', async () => {
    assert.equal(await proxy.ready(10_000), true);
    const keys = Array.from({ length: 2000 }, (_, i) => `own:${i}`);
    assert.equal(await client.mset(...keys.flatMap((k) => [k, `v-${k}`])), 'OK');
    const sizes = await Promise.all(direct.slice(0, 3).map((d) => d.dbsize()));
    assert.ok(sizes.every((s) => s > 0), `every node holds keys: ${sizes}`);

    await proxy.setNodes([
      ...nodes.slice(0, 3).map((n, i) => ({ address: n.address, password: passwords[i] })),
      { address: nodes[3].address, password: passwords[3] },
    ]);
    const s = await waitStable(client, 2);
    assert.ok(Number(s.keys_moved) > 200, `keys_moved ${s.keys_moved}`);
    assert.match((await client.call('JUPITER', 'STATUS')) as string, /\r\nmove_method:migrate\r\nmove_failures:0\r\n/);
    assert.ok((await direct[3].dbsize()) > 200, 'the added node holds its keys');
    assert.deepEqual(await client.mget(...keys.slice(0, 50)), keys.slice(0, 50).map((k) => `v-${k}`));
  });

  it('jupiter blob --config reaches the nodes with their own passwords; the proxy reads what it wrote', async () => {
    const file = path.join(dir, 'jupiter.yaml');
    const members = [
      ...nodes.slice(0, 3).map((n, i) => ({ address: n.address, password: passwords[i] })),
      { address: nodes[3].address, passwordFile: path.join(dir, 'node-3') },
    ];
    writeFileSync(path.join(dir, 'node-3'), `${passwords[3]}\n`);
    writeFileSync(file, JSON.stringify({ nodes: members, backend: { password: 'the-default-is-wrong' } }));
    const data = Buffer.alloc(300_000, 'own-blob ');
    const put = await runCli(['blob', '--config', file, 'put', 'own/blob', '-'], { stdin: data });
    assert.deepEqual({ code: put.code, stderr: put.stderr }, { code: 0, stderr: '' });
    const store = new BlobStore(client);
    assert.deepEqual(await store.readAll('own/blob'), data);
    const chunksPerNode = await Promise.all(direct.map((d) => d.dbsize()));
    assert.ok(chunksPerNode.every((n) => n > 0), `chunks on every node: ${chunksPerNode}`);
  });

  it("keeps the passwords out of the handle's config", () => {
    const shown = JSON.stringify(proxy.config);
    for (const p of [...passwords, 'the-default-is-wrong']) assert.ok(!shown.includes(p), `${p} in proxy.config`);
    assert.equal(proxy.config.backend.password, '(hidden)');
  });
});
