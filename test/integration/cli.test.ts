// The jupiter command run as a user runs it: from source in a child process, against real
// redis-server nodes, stopped by signals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { clientWhenReady, startCli as cli, stopClis } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { startRedisNodes, type RedisNode } from '../helpers/redis.js';
import { waitStable } from '../helpers/handoff.js';

const TIMEOUT_MS = 20_000;
// PIDs the demo reports for its redis-server nodes, stopped here too if the demo failed to.
const demoPids: number[] = [];

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'jupiter-cli-'));

after(async () => {
  stopClis();
  for (const pid of demoPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('jupiter serve', { timeout: 60_000 }, () => {
  let nodes: RedisNode[];
  const clients: Redis[] = [];

  before(async () => {
    nodes = await startRedisNodes(2);
  });
  after(async () => {
    clients.forEach((c) => c.disconnect());
    await Promise.all((nodes ?? []).map((n) => n.stop()));
  });

  it('serves SET and GET through the nodes, logs JSON to stdout, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const run = cli(['--port', String(port), '--nodes', nodes.map((n) => n.address).join(','), '--log-level', 'info'], {
      // Flags override the environment.
      JUPITER_PORT: '1',
      JUPITER_NODES: '127.0.0.1:1',
    });
    const client = await clientWhenReady(port, run);
    clients.push(client);

    assert.equal(await client.call('SET', 'hello', 'world', 'hash=somekey'), 'OK');
    assert.equal(await client.call('GET', 'hello', 'hash=somekey'), 'world');
    await client.set('plain', 'value');
    assert.equal(await client.get('plain'), 'value');
    const direct = nodes.map((n) => new Redis({ port: n.port, host: '127.0.0.1' }));
    clients.push(...direct);
    const onNodes = await Promise.all(direct.map((d) => d.get('plain')));
    assert.deepEqual(onNodes.filter((v) => v !== null), ['value'], 'the key lives on exactly one real node');

    const listening = run.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; port?: number });
    assert.ok(listening.some((l) => l.msg === 'jupiter listening' && l.port === port), run.stdout());

    client.disconnect();
    run.process.kill('SIGTERM');
    assert.deepEqual(await run.exited, { code: 0, signal: null }, run.stderr());
    assert.equal(await accepts(port), false, 'the port is closed after exit');
  });

  it('with --workers 2 serves from two processes on one port, and all exit 0 on SIGTERM', async () => {
    const port = await freePort();
    const run = cli(['--port', String(port), '--nodes', nodes.map((n) => n.address).join(','), '--workers', '2', '--log-level', 'info']);
    // Connections go only to workers already listening: wait until both say so.
    const deadline = Date.now() + TIMEOUT_MS;
    const listeners = (): Set<number> =>
      new Set(
        run
          .stdout()
          .split('\n')
          .slice(0, -1) // the last piece may be a line still being written
          .filter((l) => l.includes('"jupiter listening"'))
          .map((l) => (JSON.parse(l) as { pid: number }).pid),
      );
    while (listeners().size < 2) {
      assert.ok(Date.now() < deadline, `both workers listening\nstdout: ${run.stdout()}\nstderr: ${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = await clientWhenReady(port, run);
    clients.push(first);
    const pids = new Set<string>();
    for (let i = 0; i < 20 && pids.size < 2; i++) {
      const c = await clientWhenReady(port, run);
      clients.push(c);
      const info = (await c.call('INFO', 'server')) as string;
      pids.add(/process_id:(\d+)/.exec(info)![1]);
      assert.equal(await c.call('SET', `w${i}`, String(i)), 'OK');
      assert.equal(await first.get(`w${i}`), String(i), 'every worker routes a key to the same node');
    }
    assert.equal(pids.size, 2, 'connections are spread over two worker processes');
    clients.forEach((c) => c.disconnect());
    run.process.kill('SIGTERM');
    assert.deepEqual(await run.exited, { code: 0, signal: null }, run.stderr());
    for (const pid of pids) assert.equal(alive(Number(pid)), false, `worker ${pid} is gone`);
  });

  it('with --workers 2 on a port that is taken exits 1 with one line saying why, instead of forking forever', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const run = cli(['--port', String(port), '--nodes', nodes.map((n) => n.address).join(','), '--workers', '2', '--log-level', 'silent']);
      const exited = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), TIMEOUT_MS))]);
      assert.deepEqual(exited, { code: 1, signal: null }, `still running after ${TIMEOUT_MS} ms; stderr: ${run.stderr().slice(0, 2000)}`);
      assert.equal(
        run.stderr(),
        `jupiter: every worker failed to start (cannot listen on 127.0.0.1:${port}: the port is already in use); giving up\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('takes options from --config, with flags over the file', async () => {
    const port = await freePort();
    const file = path.join(dir, 'good.yaml');
    writeFileSync(file, `port: 1\nnodes:\n${nodes.map((n) => `  - ${n.address}:2`).join('\n')}\nlog:\n  level: silent\n`);
    const run = cli(['--config', file, '--port', String(port)]);
    const client = await clientWhenReady(port, run);
    clients.push(client);
    await client.set('from-config', '1');
    assert.equal(await client.get('from-config'), '1');
    assert.equal(run.stdout(), '', 'log level silent from the file');
    client.disconnect();
    run.process.kill('SIGINT');
    assert.deepEqual(await run.exited, { code: 0, signal: null }, run.stderr());
  });

  it('with a bad --config file prints one line per problem and exits 2, without a stack trace', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'port: "abc"\nnodes: ["nope"]\n');
    const run = cli(['--config', file]);
    assert.deepEqual(await run.exited, { code: 2, signal: null });
    assert.equal(
      run.stderr(),
      'jupiter: invalid configuration\n' +
        `  port: expected number, got "abc" (in ${file})\n` +
        `  nodes[0]: expected host:port, host:port:weight or name=host:port[:weight], got "nope" (in ${file})\n`,
    );
    assert.equal(run.stdout(), '');
  });

  it('says in one line that the port is taken, and exits 1', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const run = cli(['--port', String(port), '--nodes', nodes[0].address, '--log-level', 'silent']);
      assert.deepEqual(await run.exited, { code: 1, signal: null });
      assert.equal(run.stderr(), `jupiter: cannot listen on 127.0.0.1:${port}: the port is already in use\n`);
    } finally {
      blocker.close();
    }
  });
});

describe('jupiter serve on SIGHUP', { timeout: 120_000 }, () => {
  let nodes: RedisNode[];

  before(async () => {
    nodes = await startRedisNodes(3);
  });
  after(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
  });

  it("makes the members what the config file's node list says, keeping every key, and keeps serving on a bad file", async () => {
    const port = await freePort();
    const file = path.join(dir, 'reload.yaml');
    const write = (list: string[]): void =>
      writeFileSync(file, `port: ${port}\nnodes:\n${list.map((n) => `  - ${n}`).join('\n')}\nlog:\n  level: info\nmembership:\n  heartbeatMs: 100\n`);
    const [a, b, c] = nodes.map((n) => n.address);
    write([a, b]);
    const run = cli(['--config', file]);
    await run.line(/"msg":"jupiter listening"/);
    const client = await clientWhenReady(port, run);
    try {
      const keys = Array.from({ length: 500 }, (_, i) => `hup:${i}`);
      await client.mset(...keys.flatMap((k) => [k, `v-${k}`]));

      write([a, b, c]);
      run.process.kill('SIGHUP');
      const accepted = await run.line(/SIGHUP: membership change accepted/);
      assert.match(accepted.input!, new RegExp(`"changes":\\["add ${c.replaceAll('.', '\\.')} weight 1"\\]`));
      assert.equal((await waitStable(client, 2)).members, '3');

      run.process.kill('SIGHUP');
      await run.line(/SIGHUP: the node list matches the members; nothing to change/);

      writeFileSync(file, `port: ${port}\nnodes: ["nope"]\n`);
      run.process.kill('SIGHUP');
      await run.line(/SIGHUP: the configuration is invalid; the members are unchanged/);
      assert.equal(await client.ping(), 'PONG');

      write([a, `${c}:2`]);
      run.process.kill('SIGHUP');
      const second = await run.line(/"changes":\[[^\]]*remove[^\]]*\],"msg":"SIGHUP: membership change accepted/);
      assert.match(second.input!, /weight of [^"]+ 1 -> 2/);
      const stable = await waitStable(client, 3);
      assert.equal(stable.members, '2');
      assert.deepEqual(await client.mget(...keys), keys.map((k) => `v-${k}`));
      const removed = new Redis({ port: nodes[1].port });
      try {
        assert.equal(await removed.dbsize(), 0, 'the removed node was drained');
      } finally {
        removed.disconnect();
      }
    } finally {
      client.disconnect();
    }
    run.process.kill('SIGTERM');
    assert.deepEqual(await run.exited, { code: 0, signal: null }, run.stderr());
  });
});

describe('jupiter demo', { timeout: 60_000 }, () => {
  it('starts three redis nodes behind the proxy, serves SET/GET, and stops them all on SIGINT', async () => {
    const port = await freePort();
    const run = cli(['demo', '--port', String(port)]);
    const nodesLine = await run.line(/^jupiter demo: 3 redis nodes on 127\.0\.0\.1:(\d+), :(\d+), :(\d+) \(pids: (\d+) (\d+) (\d+)\)$/);
    const ports = nodesLine.slice(1, 4).map(Number);
    const pids = nodesLine.slice(4, 7).map(Number);
    demoPids.push(...pids);
    assert.ok(pids.every(alive), 'the redis-server nodes run while the demo does');
    await run.line(new RegExp(`^connect with: redis-cli -p ${port}$`));

    const client = await clientWhenReady(port, run);
    try {
      assert.equal(await client.call('SET', 'hello', 'world', 'hash=somekey'), 'OK');
      assert.equal(await client.call('GET', 'hello', 'hash=somekey'), 'world');
      await client.mset('a', '1', 'b', '2', 'c', '3');
      assert.deepEqual(await client.mget('a', 'b', 'c'), ['1', '2', '3']);
    } finally {
      client.disconnect();
    }

    run.process.kill('SIGINT');
    assert.deepEqual(await run.exited, { code: 0, signal: null }, run.stderr());
    assert.deepEqual(pids.filter(alive), [], 'every redis-server the demo started is gone');
    for (const p of [port, ...ports]) assert.equal(await accepts(p), false, `port ${p} is closed`);
  });

  it('says in one line that the port is taken, and exits 1 without starting redis', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const run = cli(['demo', '--port', String(port)]);
      assert.deepEqual(await run.exited, { code: 1, signal: null });
      assert.equal(run.stderr(), `jupiter demo: cannot listen on 127.0.0.1:${port}: the port is already in use; choose another with --port\n`);
      assert.equal(run.stdout(), '');
    } finally {
      blocker.close();
    }
  });

  it('without redis-server or apt-get on PATH, says how to install it and exits 1', async () => {
    const run = cli(['demo', '--port', String(await freePort())], { PATH: path.join(dir, 'empty-path') });
    assert.deepEqual(await run.exited, { code: 1, signal: null });
    assert.equal(run.stderr(), 'jupiter demo: redis-server is missing; install it with: apt-get install -y redis-server\n');
  });
});
