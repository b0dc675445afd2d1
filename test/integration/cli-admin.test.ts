// `jupiter admin` run as an operator runs it, in a child process, against a running jupiter with an
// admin password behind a requirepass: a change waits for its handoff to end, a refusal exits 1
// with the proxy's reason.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { runCli } from '../helpers/cli.js';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import { startRedis, startRedisNodes, type RedisNode } from '../helpers/redis.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { status, waitStable } from '../helpers/handoff.js';

/** `jupiter ...args` to its end, its output as text. */
async function jupiter(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = await runCli(args, { env });
  return { ...run, stdout: run.stdout.toString() };
}

describe('jupiter admin', () => {
  let nodes: RedisNode[];
  let extra: RedisNode;
  let proxy: Proxy;
  let client: Redis;
  let at: string[];

  before(async () => {
    nodes = await startRedisNodes(3);
    extra = await startRedis();
    proxy = await createProxy({
      port: 0,
      nodes: nodes.map((n) => n.address),
      nodeActors: nodeActorsPlacement,
      log: { level: 'silent' },
      membership: { heartbeatMs: 100 },
      admin: { password: 'sesame' },
      auth: { requirepass: 'door' },
    });
    client = new Redis({ port: proxy.port, maxRetriesPerRequest: 1, password: 'door' });
    await client.call('JUPITER', 'AUTH', 'sesame');
    at = ['admin', '--proxy', `127.0.0.1:${proxy.port}`, '--password', 'sesame', '--auth', 'door'];
  });
  after(async () => {
    client.disconnect();
    await proxy.stop(1000);
    await Promise.all([...nodes, extra].map((n) => n.stop()));
  });

  it('adds a node and waits for the handoff to end, then lists four members and a stable status', async () => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 3000; i++) pipeline.set(`cli:${i}`, `v${i}`);
    await pipeline.exec();
    const added = await jupiter([...at, 'add', extra.address]);
    assert.equal(added.stderr, '');
    assert.equal(added.code, 0);
    assert.match(added.stdout, /^OK: stable at epoch 2, (\d+) keys moved in \d+\.\d s\n$/);
    assert.ok(Number(/, (\d+) keys moved/.exec(added.stdout)![1]) > 300, added.stdout);
    assert.equal((await status(client)).state, 'stable', 'the command returned after the handoff, not before');

    const listed = await jupiter([...at, 'nodes']);
    assert.equal(listed.code, 0);
    assert.equal(listed.stdout.trim().split('\n').length, 4);
    assert.match(listed.stdout, new RegExp(`address=${extra.address.replaceAll('.', '\\.')} weight=1 state=up`));
    const shown = await jupiter([...at, 'status']);
    assert.match(shown.stdout, /^# Membership\nstate:stable\nepoch:2\nmembers:4\n/);
    assert.deepEqual(await client.mget('cli:0', 'cli:2999'), ['v0', 'v2999']);
  });

  it('with --no-wait returns once the change is accepted', async () => {
    const run = await jupiter([...at, 'weight', extra.address, '2', '--no-wait']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^OK: accepted/);
    const s = await waitStable(client, 3);
    assert.equal(s.members, '4');
  });

  it('a refused change, a missing password and a bad --proxy exit non-zero with one line', async () => {
    const unknown = await jupiter([...at, 'remove', '127.0.0.1:1']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^jupiter: 127\.0\.0\.1:\d+: ERR .*127\.0\.0\.1:1.*\n$/);
    const noSignIn = await jupiter(['admin', '--proxy', `127.0.0.1:${proxy.port}`, '--password', 'sesame', 'nodes'], { REDISCLI_AUTH: '' });
    assert.equal(noSignIn.code, 1);
    assert.match(noSignIn.stderr, /NOAUTH Authentication required\./);
    const noPassword = await jupiter(['admin', '--proxy', `127.0.0.1:${proxy.port}`, 'nodes'], { JUPITER_ADMIN_PASSWORD: '', REDISCLI_AUTH: 'door' });
    assert.equal(noPassword.code, 1);
    assert.match(noPassword.stderr, /NOAUTH JUPITER admin commands need JUPITER AUTH/);
    const fromEnv = await jupiter(['admin', '--proxy', `127.0.0.1:${proxy.port}`, 'nodes'], { JUPITER_ADMIN_PASSWORD: 'sesame', REDISCLI_AUTH: 'door' });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    const bad = await jupiter(['admin', '--proxy', 'nowhere', 'nodes']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'jupiter: --proxy nowhere: expected host:port\n');
  });
});
