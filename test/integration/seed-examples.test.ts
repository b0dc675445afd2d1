// The seed's examples, verbatim, through the real redis-cli binary; then placement checked on
// each node directly.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { locate } from '../helpers/placement.js';

const exec = promisify(execFile);

describe('seed examples through redis-cli', () => {
  let cluster: TestCluster;
  let directs: Redis[];

  /** One command per redis-cli invocation; its trimmed stdout. */
  async function cli(port: number, ...args: string[]): Promise<string> {
    const { stdout } = await exec('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 });
    return stdout.trim();
  }
  const proxy = (...args: string[]): Promise<string> => cli(cluster.port, ...args);
  const lines = (text: string): string[] => (text === '' ? [] : text.split('\n'));

  before(async () => {
    cluster = await startCluster(3);
    directs = [0, 1, 2].map((i) => cluster.direct(i));
  });

  after(async () => {
    await cluster.stop();
  });

  it('SET hello world hash=somekey answers OK and GET hello hash=somekey answers world', async () => {
    assert.equal(await proxy('SET', 'hello', 'world', 'hash=somekey'), 'OK');
    assert.equal(await proxy('GET', 'hello', 'hash=somekey'), 'world');
  });

  it('SET hello world then GET hello answers world', async () => {
    assert.equal(await proxy('SET', 'hello', 'world'), 'OK');
    assert.equal(await proxy('GET', 'hello'), 'world');
  });

  it('MSET with hash=somekey then SCAN 0 MATCH key* hash=somekey returns cursor 0 and exactly the three keys', async () => {
    assert.equal(await proxy('MSET', 'key1', 'val1', 'key2', 'val2', 'key3', 'val3', 'hash=somekey'), 'OK');
    const [cursor, ...keys] = lines(await proxy('SCAN', '0', 'MATCH', 'key*', 'hash=somekey'));
    assert.equal(cursor, '0');
    assert.deepEqual(keys.sort(), ['key1', 'key2', 'key3']);
  });

  it('PING hash=somekey answers PONG', async () => {
    assert.equal(await proxy('PING', 'hash=somekey'), 'PONG');
  });

  it('DBSIZE answers the sum of DBSIZE on each node', async () => {
    const direct = await Promise.all(directs.map((r) => r.dbsize()));
    const sum = direct.reduce((a, b) => a + b, 0);
    // hello (once or twice, depending on where "hello" and "somekey" hash) plus key1..key3.
    assert.ok(sum === 4 || sum === 5, `unexpected key total ${sum}`);
    assert.equal(await proxy('DBSIZE'), String(sum));
  });

  it('TIME answers seconds and microseconds close to now', async () => {
    const [seconds, micros] = lines(await proxy('TIME'));
    assert.match(seconds, /^\d+$/);
    assert.match(micros, /^\d+$/);
    assert.ok(Math.abs(Number(seconds) - Date.now() / 1000) < 60, `TIME ${seconds} is far from now`);
    assert.ok(Number(micros) < 1_000_000);
  });

  it('RANDOMKEY answers one of the keys that exist', async () => {
    for (let i = 0; i < 5; i++) {
      const key = await proxy('RANDOMKEY');
      assert.ok(['hello', 'key1', 'key2', 'key3'].includes(key), `RANDOMKEY gave ${JSON.stringify(key)}`);
    }
  });

  it('the three hash=somekey keys sit together on one node, stored under their plain names', async () => {
    const where = await locate(directs, ['key1', 'key2', 'key3']);
    assert.equal(where[0].length, 1, `key1 is on nodes ${JSON.stringify(where[0])}`);
    assert.deepEqual(where, [where[0], where[0], where[0]]);
    const node = directs[where[0][0]];
    assert.deepEqual(await node.mget('key1', 'key2', 'key3'), ['val1', 'val2', 'val3']);
    // And the hash=somekey copy of hello is on that same node, with the option stripped.
    assert.equal(await node.get('hello'), 'world');
    for (const r of directs) assert.deepEqual(await r.keys('*hash=*'), []);
  });

  it('1,000 plain keys written through the proxy spread over all three nodes, each key on exactly one node', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `plain:${i}`);
    // redis-cli reading commands from stdin: one line per command, one reply line each.
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('redis-cli', ['-p', String(cluster.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-cli exited with ${code}`))));
      child.stdin.end(keys.map((k, i) => `SET ${k} v${i}\n`).join(''));
    });
    assert.deepEqual(lines(output.trim()), keys.map(() => 'OK'));

    const where = await locate(directs, keys);
    const perNode = [0, 0, 0];
    where.forEach((nodes, i) => {
      assert.equal(nodes.length, 1, `${keys[i]} is on nodes ${JSON.stringify(nodes)}`);
      perNode[nodes[0]]++;
    });
    for (const count of perNode) assert.ok(count > 200, `uneven spread ${JSON.stringify(perNode)}`);
    assert.equal(await proxy('GET', 'plain:999'), 'v999');
  });
});
