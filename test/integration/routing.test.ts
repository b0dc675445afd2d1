// Routing rules (DESIGN.md section 1) through an ioredis client, with placement checked on the
// nodes directly.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { locate, ownersOf, rejectionOf, within } from '../helpers/placement.js';

const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same node (use hash=KEY)";
const NODES = 3;

describe('routing through the proxy', () => {
  let cluster: TestCluster;
  let client: Redis;
  let directs: Redis[];

  /**
   * `perNode` key names owned by each node (index = direct client), found by writing candidates
   * through the proxy and looking where they landed; the candidates are deleted again.
   */
  async function namesByNode(prefix: string, perNode: number): Promise<string[][]> {
    const found: string[][] = Array.from({ length: NODES }, () => []);
    for (let batch = 0; found.some((f) => f.length < perNode); batch++) {
      assert.ok(batch < 20, 'could not find enough key names for every node');
      const names = Array.from({ length: perNode * 10 }, (_, i) => `${prefix}${batch * perNode * 10 + i}`);
      await client.mset(...names.flatMap((n) => [n, 'probe']));
      const owners = await ownersOf(directs, names);
      names.forEach((n, i) => found[owners[i]].length < perNode && found[owners[i]].push(n));
      await client.del(...names);
    }
    return found;
  }

  const totalOnNodes = async (): Promise<number> => (await Promise.all(directs.map((r) => r.dbsize()))).reduce((a, b) => a + b, 0);

  before(async () => {
    cluster = await startCluster(NODES, { prefixes: { index: 'index=' } });
    client = cluster.client();
    directs = Array.from({ length: NODES }, (_, i) => cluster.direct(i));
  });

  after(async () => {
    await cluster.stop();
  });

  describe('hash keys', () => {
    it('keys sharing a {tag} land on the same node, while untagged and empty-tag keys spread', async () => {
      const tagged = Array.from({ length: 30 }, (_, i) => `{grp}:${i}`).concat(['x{grp}y', 'pre{grp}{other}']);
      const plain = Array.from({ length: 30 }, (_, i) => `grp:${i}`);
      const emptyTag = Array.from({ length: 30 }, (_, i) => `{}:${i}`);
      for (const keys of [tagged, plain, emptyTag]) assert.equal(await client.mset(...keys.flatMap((k) => [k, `v-${k}`])), 'OK');

      const taggedOwners = await ownersOf(directs, tagged);
      assert.deepEqual(new Set(taggedOwners).size, 1, `tagged keys on nodes ${JSON.stringify(taggedOwners)}`);
      assert.ok(new Set(await ownersOf(directs, plain)).size > 1, 'untagged keys all landed on one node');
      assert.ok(new Set(await ownersOf(directs, emptyTag)).size > 1, 'keys with an empty {} tag all landed on one node');
      assert.deepEqual(
        await client.mget(...tagged),
        tagged.map((k) => `v-${k}`),
      );
    });

    it('index=N (switched on in this cluster) routes by args[N] and is stripped before forwarding', async () => {
      const [onFirst, onSecond] = await namesByNode('idx:', 1);
      const key = onFirst[0];
      const value = onSecond[0];
      assert.equal(await client.call('SET', key, value, 'index=2'), 'OK');
      // Stored on the owner of args[2] (the value), under the plain key, with the plain value.
      assert.deepEqual(await locate(directs, [key]), [[1]]);
      assert.equal(await directs[1].get(key), value);
      assert.deepEqual(await directs[1].keys('*index=*'), []);
      // Without the option GET goes to the key's own node, which does not have it.
      assert.equal(await client.get(key), null);
      assert.equal(await client.call('GET', key, `hash=${value}`), value);
      assert.equal(await client.call('GET', value, 'index=1'), null);
    });

    it('hash=KEY routes by KEY and is stripped: the node stores the plain key and value', async () => {
      const [onFirst, onSecond] = await namesByNode('hk:', 1);
      const key = onFirst[0];
      const pin = `hash=${onSecond[0]}`;
      assert.equal(await client.call('SET', key, 'plain-value', pin), 'OK');
      assert.equal(await client.call('RPUSH', `${key}:list`, 'a', 'b', pin), 2);
      assert.equal(await client.call('HSET', `${key}:hash`, 'f', 'v', pin), 1);

      assert.deepEqual(await locate(directs, [key, `${key}:list`, `${key}:hash`]), [[1], [1], [1]]);
      assert.equal(await directs[1].get(key), 'plain-value');
      assert.deepEqual(await directs[1].lrange(`${key}:list`, 0, -1), ['a', 'b']);
      assert.deepEqual(await directs[1].hgetall(`${key}:hash`), { f: 'v' });
      for (const r of directs) assert.deepEqual(await r.keys('*hash=*'), []);
      assert.equal(await client.call('GET', key, pin), 'plain-value');
    });
    it('commands whose key is not args[1] (OBJECT ENCODING, EVAL, ZUNIONSTORE, XREAD, BITOP) go to the key owner', async () => {
      const names = await namesByNode('pos:', 1);
      // One key per node, so a command sent to the wrong node would see no key at all.
      for (let node = 0; node < NODES; node++) {
        const k = names[node][0];
        await client.set(k, '12345');
        assert.equal(await client.call('OBJECT', 'ENCODING', k), 'int', `OBJECT ENCODING ${k}`);
        assert.equal(await client.call('EVAL', "return redis.call('GET', KEYS[1])", '1', k), '12345', `EVAL on ${k}`);
        assert.equal(await client.call('BITOP', 'AND', `{${k}}:dest`, k), 5, `BITOP on ${k}`);
        assert.equal(await client.del(k), 1);
        await client.zadd(k, 1, 'm');
        assert.equal(await client.call('ZUNIONSTORE', `{${k}}:u`, '1', k), 1, `ZUNIONSTORE on ${k}`);
        assert.equal(await client.del(k), 1);
        await client.xadd(k, '1-1', 'f', 'v');
        // RESP3 (ioredis's default) answers a map, stream name then entries; RESP2 a list of pairs.
        const read = (await client.call('XREAD', 'COUNT', '1', 'STREAMS', k, '0')) as unknown[];
        assert.deepEqual(read[0] === k ? [read] : read, [[k, [['1-1', ['f', 'v']]]]]);
        assert.equal(await client.del(k), 1);
      }
      assert.equal(await client.del(...names.flatMap(([k]) => [`{${k}}:dest`, `{${k}}:u`])), 2 * NODES);
    });

    it('keyless commands with hash=KEY go to that one node only (DBSIZE, KEYS, FLUSHDB)', async () => {
      const names = await namesByNode('kl:', 2);
      await client.mset(...names.flat().flatMap((k) => [k, 'x']));
      const counts = await Promise.all(directs.map((r) => r.dbsize()));
      for (let node = 0; node < NODES; node++) {
        const pin = `hash=${names[node][0]}`;
        assert.equal(await client.call('DBSIZE', pin), counts[node], `DBSIZE ${pin}`);
        assert.deepEqual(((await client.call('KEYS', 'kl:*', pin)) as string[]).sort(), names[node].slice().sort());
      }
      assert.equal(await client.call('FLUSHDB', `hash=${names[1][0]}`), 'OK');
      assert.equal(await directs[1].dbsize(), 0);
      assert.deepEqual(await locate(directs, [names[0][0], names[2][0]]), [[0], [2]]);
      await client.del(...names.flat());
    });
  });

  describe('multi-key commands split per node', () => {
    let names: string[][];
    before(async () => {
      names = await namesByNode('split:', 3);
    });

    it('MGET across three nodes returns values in request order, including nils and repeats', async () => {
      const [a, b, c] = [names[0][0], names[1][0], names[2][0]];
      const [missing1, missing2, missing3] = [names[0][1], names[1][1], names[2][1]];
      await client.mset(a, 'va', b, 'vb', c, 'vc');
      assert.deepEqual(await client.mget(missing2, a, missing1, b, c, missing3, a), [null, 'va', null, 'vb', 'vc', null, 'va']);
      assert.deepEqual(await client.mget(missing1, missing2, missing3), [null, null, null]);
      await client.del(a, b, c);
    });

    it('MSET across nodes stores every key on its own node and each is readable', async () => {
      const keys = Array.from({ length: 30 }, (_, i) => `ms:${i}`);
      assert.equal(await client.mset(...keys.flatMap((k, i) => [k, `value-${i}`])), 'OK');
      const owners = await ownersOf(directs, keys);
      assert.equal(new Set(owners).size, NODES, `MSET keys only on nodes ${JSON.stringify([...new Set(owners)])}`);
      for (let i = 0; i < keys.length; i++) assert.equal(await client.get(keys[i]), `value-${i}`);
      assert.equal(await client.del(...keys), keys.length);
    });

    it('EXISTS, TOUCH, DEL and UNLINK across nodes return summed counts', async () => {
      const [a, b, c] = [names[0][2], names[1][2], names[2][2]];
      const missing = names[0][1];
      await client.mset(a, '1', b, '2', c, '3');
      assert.equal(await client.exists(a, b, c, missing), 3);
      assert.equal(await client.exists(a, a, b), 3);
      assert.equal(await client.touch(a, b, c, missing), 3);
      assert.equal(await client.del(a, b, missing), 2);
      assert.equal(await client.unlink(c, a), 1);
      assert.equal(await client.exists(a, b, c), 0);
      assert.deepEqual(await locate(directs, [a, b, c]), [[], [], []]);
    });
  });

  describe('keyless commands fanned out', () => {
    beforeEach(async () => {
      assert.equal(await client.flushdb(), 'OK');
    });

    it('FLUSHDB empties every node', async () => {
      await client.mset(...Array.from({ length: 60 }, (_, i) => [`fl:${i}`, 'x']).flat());
      assert.equal(await totalOnNodes(), 60);
      assert.equal(await client.flushdb(), 'OK');
      assert.deepEqual(await Promise.all(directs.map((r) => r.dbsize())), [0, 0, 0]);
    });

    it('DBSIZE is the sum of every node and KEYS * is their union', async () => {
      const keys = Array.from({ length: 100 }, (_, i) => `ks:${i}`);
      await client.mset(...keys.flatMap((k) => [k, 'x']));
      const perNode = await Promise.all(directs.map((r) => r.dbsize()));
      assert.ok(perNode.every((n) => n > 0), `keys not on every node: ${JSON.stringify(perNode)}`);
      assert.equal(await client.dbsize(), 100);
      assert.deepEqual((await client.keys('*')).sort(), keys.slice().sort());
      assert.deepEqual((await client.keys('ks:1?')).sort(), keys.filter((k) => /^ks:1\d$/.test(k)).sort());
    });

    it('a full SCAN loop with the cluster cursor visits each of 3,000 keys exactly once and ends at 0', async () => {
      const keys = Array.from({ length: 3000 }, (_, i) => `scan:${i}`);
      for (let i = 0; i < keys.length; i += 500) await client.mset(...keys.slice(i, i + 500).flatMap((k) => [k, 'x']));
      assert.equal(await client.dbsize(), 3000);

      const seen = new Map<string, number>();
      let cursor = '0';
      let calls = 0;
      do {
        const [next, batch] = await client.scan(cursor, 'COUNT', 97);
        for (const k of batch) seen.set(k, (seen.get(k) ?? 0) + 1);
        cursor = next;
        assert.ok(++calls < 1000, 'SCAN did not end');
      } while (cursor !== '0');
      assert.equal(seen.size, 3000);
      assert.deepEqual([...seen.entries()].filter(([, n]) => n !== 1), []);
      assert.deepEqual([...seen.keys()].sort(), keys.slice().sort());
    });

    it('scanStream with MATCH visits each matching key exactly once', async () => {
      const keys = Array.from({ length: 3000 }, (_, i) => `stream:${i}`);
      for (let i = 0; i < keys.length; i += 500) await client.mset(...keys.slice(i, i + 500).flatMap((k) => [k, 'x']));
      await client.mset('other:1', 'x', 'other:2', 'x');
      const seen: string[] = [];
      for await (const batch of client.scanStream({ match: 'stream:*', count: 200 })) seen.push(...(batch as string[]));
      assert.equal(seen.length, 3000);
      assert.deepEqual(seen.sort(), keys.slice().sort());
    });

    it('SCAN with a cursor that is not a number is refused with ERR invalid cursor', async () => {
      const error = await rejectionOf(client.scan('abc'), 2000, 'SCAN abc');
      assert.equal(error.message, 'ERR invalid cursor');
    });

    it('RANDOMKEY answers nil on an empty cluster and an existing key from any node otherwise', async () => {
      assert.equal(await client.randomkey(), null);
      const names = await namesByNode('rk:', 1);
      const one = names[1][0];
      await client.set(one, 'x');
      // Two empty nodes: RANDOMKEY must still find the one key.
      for (let i = 0; i < 10; i++) assert.equal(await client.randomkey(), one);
      const all = names.map((n) => n[0]);
      await client.mset(...all.flatMap((k) => [k, 'x']));
      const drawn = new Set<string>();
      for (let i = 0; i < 60; i++) drawn.add((await client.randomkey())!);
      assert.deepEqual([...drawn].sort(), all.slice().sort());
    });

    it('INFO has a # Keyspace section with the key count summed over the nodes', async () => {
      await client.mset(...Array.from({ length: 42 }, (_, i) => [`info:${i}`, 'x']).flat());
      await client.set('info:ttl', 'x', 'EX', 1000);
      assert.equal(await totalOnNodes(), 43);
      const text = await client.info();
      assert.ok(text.includes('# Keyspace\r\n'), text);
      assert.match(text, /^db0:keys=43,expires=1,/m);
      const keyspace = await client.info('keyspace');
      assert.match(keyspace, /^# Keyspace\r\ndb0:keys=43,expires=1,/);
    });
  });

  describe('commands whose keys span nodes', () => {
    let a: string;
    let b: string;
    let c: string;
    before(async () => {
      const names = await namesByNode('xs:', 1);
      [a, b, c] = [names[0][0], names[1][0], names[2][0]];
    });

    it(`RENAME across nodes is refused with exactly "${CROSSSLOT}" and changes nothing`, async () => {
      await client.set(a, 'renamed?');
      const error = await rejectionOf(client.rename(a, b), 2000, 'RENAME');
      assert.equal(error.message, CROSSSLOT);
      assert.equal(await client.get(a), 'renamed?');
      assert.equal(await client.exists(b), 0);
      await client.del(a);
    });

    it('SUNIONSTORE and MSETNX across nodes are refused with CROSSSLOT and change nothing', async () => {
      await client.sadd(b, 'm1');
      await client.sadd(c, 'm2');
      assert.equal((await rejectionOf(client.sunionstore(a, b, c), 2000, 'SUNIONSTORE')).message, CROSSSLOT);
      assert.equal((await rejectionOf(client.msetnx(a, '1', b, '2'), 2000, 'MSETNX')).message, CROSSSLOT);
      assert.equal(await client.exists(a), 0);
      assert.equal(await client.type(b), 'set');
      await client.del(b, c);
    });

    it('the same commands with {tag} keys are executed on one node', async () => {
      await client.set('{t}a', 'moved');
      assert.equal(await client.rename('{t}a', '{t}b'), 'OK');
      assert.equal(await client.get('{t}b'), 'moved');
      assert.equal(await client.exists('{t}a'), 0);
      await client.sadd('{t}s1', 'x', 'y');
      await client.sadd('{t}s2', 'y', 'z');
      assert.equal(await client.sunionstore('{t}dest', '{t}s1', '{t}s2'), 3);
      assert.deepEqual((await client.smembers('{t}dest')).sort(), ['x', 'y', 'z']);
      assert.equal(await client.msetnx('{t}n1', '1', '{t}n2', '2'), 1);
      assert.equal(await client.msetnx('{t}n2', '3', '{t}n3', '4'), 0);
      assert.deepEqual(await client.mget('{t}n1', '{t}n2', '{t}n3'), ['1', '2', null]);
      assert.equal(new Set(await ownersOf(directs, ['{t}b', '{t}s1', '{t}s2', '{t}dest', '{t}n1', '{t}n2'])).size, 1);
    });

    it('the same commands with hash=KEY are executed on that node', async () => {
      await client.call('SET', a, 'pinned', `hash=${a}`);
      assert.equal(await client.call('RENAME', a, b, `hash=${a}`), 'OK');
      assert.equal(await directs[0].get(b), 'pinned');
      assert.equal(await directs[0].exists(a), 0);
      await directs[0].del(b);
    });
  });

  describe('commands answered locally', () => {
    it('PING answers PONG, PING msg echoes msg, ECHO echoes', async () => {
      assert.equal(await client.ping(), 'PONG');
      assert.equal(await client.ping('hello there'), 'hello there');
      assert.equal(await client.echo('echo me'), 'echo me');
      assert.equal(await client.echo(''), '');
    });

    it("PING with two arguments is refused with ERR wrong number of arguments for 'ping' command, as Redis does", async () => {
      const error = await rejectionOf(client.call('PING', 'a', 'b'), 2000, 'PING a b');
      assert.equal(error.message, "ERR wrong number of arguments for 'ping' command");
    });

    it('SELECT 0 answers OK and SELECT 1 answers ERR DB index is out of range', async () => {
      assert.equal(await client.select(0), 'OK');
      assert.equal((await rejectionOf(client.select(1), 2000, 'SELECT 1')).message, 'ERR DB index is out of range');
      assert.equal(await client.ping(), 'PONG');
    });

    it('CLIENT SETNAME, GETNAME and ID describe this connection', async () => {
      const other = cluster.client();
      assert.equal(await client.client('SETNAME', 'routing-test'), 'OK');
      assert.equal(await client.client('GETNAME'), 'routing-test');
      assert.equal(await other.client('GETNAME'), null);
      const id = (await client.client('ID')) as number;
      const otherId = (await other.client('ID')) as number;
      assert.ok(Number.isInteger(id) && id > 0, `CLIENT ID ${id}`);
      assert.ok(Number.isInteger(otherId) && otherId > 0 && otherId !== id, `CLIENT IDs ${id} and ${otherId}`);
      assert.equal(await client.client('ID'), id);
      other.disconnect();
    });

    it('CONFIG GET save answers save and an empty value', async () => {
      assert.deepEqual(await client.config('GET', 'save'), ['save', '']);
    });

    it('HELLO 2 answers with proto 2, HELLO 3 with proto 3, HELLO 4 is refused with NOPROTO', async () => {
      for (const version of [2, 3]) {
        const reply = (await client.call('HELLO', String(version))) as unknown[];
        const proto = reply.indexOf('proto');
        assert.ok(proto >= 0 && proto % 2 === 0, `no proto field in ${JSON.stringify(reply)}`);
        assert.equal(reply[proto + 1], version);
      }
      const error = await rejectionOf(client.call('HELLO', '4'), 2000, 'HELLO 4');
      assert.match(error.message, /^NOPROTO/);
      assert.equal(await client.ping(), 'PONG');
    });

    it("HELLO 2 with an unknown option gets Redis's ERR Syntax error in HELLO option 'FOO'", async () => {
      const error = await rejectionOf(client.call('HELLO', '2', 'FOO'), 2000, 'HELLO 2 FOO');
      assert.equal(error.message, "ERR Syntax error in HELLO option 'FOO'");
    });

    it('COMMAND COUNT answers more than 200', async () => {
      const count = (await client.call('COMMAND', 'COUNT')) as number;
      assert.ok(Number.isInteger(count) && count > 200, `COMMAND COUNT ${count}`);
    });
  });

  describe('errors', () => {
    it("an unknown command gets Redis's exact text, trailing space included", async () => {
      const error = await rejectionOf(client.call('FOO', 'bar'), 2000, 'FOO bar');
      assert.equal(error.message, "ERR unknown command 'FOO', with args beginning with: 'bar' ");
      const none = await rejectionOf(client.call('FOO'), 2000, 'FOO');
      assert.equal(none.message, "ERR unknown command 'FOO', with args beginning with: ");
    });

    it('an unknown command quotes its arguments up to 128 characters, as Redis does, not only the first 16', async () => {
      const args = 'abcdefghijklmnopqrst'.split('');
      const error = await rejectionOf(client.call('FOO', ...args), 2000, 'FOO a..t');
      assert.equal(error.message, `ERR unknown command 'FOO', with args beginning with: ${args.map((a) => `'${a}' `).join('')}`);
      const long = 'x'.repeat(200);
      const truncated = await rejectionOf(client.call('FOO', long, 'next'), 2000, 'FOO long');
      assert.equal(truncated.message, `ERR unknown command 'FOO', with args beginning with: '${'x'.repeat(128)}' `);
    });

    it("a wrong argument count gets ERR wrong number of arguments for 'get' command", async () => {
      assert.equal((await rejectionOf(client.call('GET'), 2000, 'GET')).message, "ERR wrong number of arguments for 'get' command");
      assert.equal(
        (await rejectionOf(client.call('GET', 'a', 'b'), 2000, 'GET a b')).message,
        "ERR wrong number of arguments for 'get' command",
      );
      assert.equal(await client.ping(), 'PONG');
    });

    it('MONITOR gets an error reply, not a hang, and the connection keeps working', async () => {
      const c = cluster.client();
      const error = await rejectionOf(c.call('MONITOR'), 2000, 'MONITOR');
      assert.match(error.message, /^ERR /);
      assert.equal(await within(c.set('after:MONITOR', 'still works'), 2000), 'OK');
      assert.equal(await within(c.get('after:MONITOR'), 2000), 'still works');
      assert.equal(await within(c.ping(), 2000), 'PONG');
      c.disconnect();
    });
  });

  describe('pipelining', () => {
    it('10,000 mixed commands in one pipeline get every reply, in order', async () => {
      await client.flushdb();
      const model = new Map<string, string>();
      const pipeline = client.pipeline();
      const expected: unknown[] = [];
      const key = (i: number): string => `pipe:${i % 1500}`;
      for (let i = 0; i < 10_000; i++) {
        const k = key(i);
        switch (i % 9) {
          case 0:
            pipeline.set(k, `v${i}`);
            model.set(k, `v${i}`);
            expected.push('OK');
            break;
          case 1:
            pipeline.get(key(i - 1));
            expected.push(model.get(key(i - 1)) ?? null);
            break;
          case 2: {
            const counter = `pipe:counter:${i % 7}`;
            const next = String(Number(model.get(counter) ?? '0') + 1);
            pipeline.incr(counter);
            model.set(counter, next);
            expected.push(Number(next));
            break;
          }
          case 3: {
            const ks = [key(i - 3), key(i + 500), key(i * 7)];
            pipeline.mget(...ks);
            expected.push(ks.map((x) => model.get(x) ?? null));
            break;
          }
          case 4:
            pipeline.ping();
            expected.push('PONG');
            break;
          case 5:
            pipeline.echo(`e${i}`);
            expected.push(`e${i}`);
            break;
          case 6: {
            const ks = [key(i - 6), key(i + 11)];
            pipeline.exists(...ks);
            expected.push(ks.filter((x) => model.has(x)).length);
            break;
          }
          case 7:
            pipeline.del(key(i - 7 - 1));
            expected.push(model.delete(key(i - 7 - 1)) ? 1 : 0);
            break;
          default:
            pipeline.dbsize();
            expected.push(model.size);
        }
      }
      const results = (await within(pipeline.exec(), 30_000, 'pipeline'))!;
      assert.equal(results.length, 10_000);
      const errors = results.filter(([e]) => e !== null);
      assert.deepEqual(errors, []);
      for (let i = 0; i < results.length; i++) {
        assert.deepEqual(results[i][1], expected[i], `reply ${i} (command kind ${i % 9})`);
      }
      assert.equal(await client.dbsize(), model.size);
    });
  });
});
