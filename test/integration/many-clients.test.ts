// Many clients at once, each with its own keys and values: no reply may reach the wrong client.
// And values of every size and byte content round-trip intact.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ownersOf, within } from '../helpers/placement.js';

const CLIENTS = 200;
const KEYS_PER_CLIENT = 1000;

/** Every byte 0-255, repeated, interleaved with sequences that look like RESP framing. */
function hostileBytes(size: number): Buffer {
  const pattern = Buffer.concat([
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    Buffer.from('\r\n$-1\r\n*3\r\n\r\n+OK\r\n-ERR x\r\n:1\r\n\n\r\r\n'),
  ]);
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; at += pattern.length) pattern.copy(out, at, 0, Math.min(pattern.length, size - at));
  return out;
}

function sameBytes(actual: Buffer | null, expected: Buffer, what: string): void {
  assert.ok(actual !== null, `${what}: got nil`);
  if (actual.equals(expected)) return;
  let first = 0;
  while (first < Math.min(actual.length, expected.length) && actual[first] === expected[first]) first++;
  assert.fail(`${what}: ${actual.length} bytes back for ${expected.length} sent, first difference at byte ${first}`);
}

describe('many clients and large values', () => {
  let cluster: TestCluster;
  let client: Redis;
  let directs: Redis[];

  before(async () => {
    cluster = await startCluster(3);
    client = cluster.client();
    directs = [0, 1, 2].map((i) => cluster.direct(i));
  });

  after(async () => {
    await cluster.stop();
  });

  it(`${CLIENTS} concurrent clients each pipelining ${KEYS_PER_CLIENT} SETs then GETs of their own keys read exactly their own values`, async () => {
    const run = randomBytes(4).toString('hex');
    const clients = Array.from({ length: CLIENTS }, () => cluster.client());
    const keyOf = (c: number, k: number): string => `mc:${c}:${k}`;
    const valueOf = (c: number, k: number): string => `client-${c}-key-${k}-${run}`;

    // Each client builds its pipeline in its own event-loop turn: building all 200,000 commands in
    // one synchronous burst would stall the loop the in-process proxy shares with this test for
    // seconds, and a stall past the backend timeouts makes the proxy drop healthy node links
    // (a known bug, shown in node-down.test.ts).
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const runs: Promise<{ setReplies: [Error | null, unknown][]; getReplies: [Error | null, unknown][] }>[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const r = clients[c];
      runs.push(
        (async () => {
          const sets = r.pipeline();
          for (let k = 0; k < KEYS_PER_CLIENT; k++) sets.set(keyOf(c, k), valueOf(c, k));
          const setReplies = (await sets.exec())!;
          await turn();
          const gets = r.pipeline();
          for (let k = 0; k < KEYS_PER_CLIENT; k++) gets.get(keyOf(c, k));
          const getReplies = (await gets.exec())!;
          return { setReplies, getReplies };
        })(),
      );
      await turn();
    }
    const outcomes = await within(Promise.all(runs), 60_000, 'all clients');

    let mismatches = 0;
    const examples: string[] = [];
    outcomes.forEach(({ setReplies, getReplies }, c) => {
      assert.equal(setReplies.length, KEYS_PER_CLIENT);
      assert.equal(getReplies.length, KEYS_PER_CLIENT);
      for (let k = 0; k < KEYS_PER_CLIENT; k++) {
        const [setErr, setOk] = setReplies[k];
        const [getErr, value] = getReplies[k];
        if (setErr || setOk !== 'OK' || getErr || value !== valueOf(c, k)) {
          mismatches++;
          if (examples.length < 5) examples.push(`client ${c} key ${k}: SET ${setErr ?? setOk}, GET ${getErr ?? value}`);
        }
      }
    });
    assert.equal(mismatches, 0, examples.join('\n'));
    assert.equal(await client.dbsize(), CLIENTS * KEYS_PER_CLIENT);
    for (const r of clients) r.disconnect();
  });

  for (const [name, value] of [
    ['an empty value', Buffer.alloc(0)],
    ['a 1 MB value', randomBytes(1024 * 1024)],
    ['a 10 MB value', randomBytes(10 * 1024 * 1024)],
    ['a value holding every byte 0-255 and CRLF sequences', hostileBytes(300_000)],
  ] as const) {
    it(`${name} round-trips intact as a Buffer`, async () => {
      const key = `big:${value.length}`;
      assert.equal(await client.set(key, value), 'OK');
      sameBytes(await client.getBuffer(key), value, 'GET through the proxy');
      assert.equal(await client.strlen(key), value.length);
      // Stored on exactly one node, byte for byte.
      const [owner] = await ownersOf(directs, [key]);
      sameBytes(await directs[owner].getBuffer(key), value, 'GET on the node');
    });
  }

  it('large and binary values keep their place in a pipeline with small commands', async () => {
    const big = randomBytes(4 * 1024 * 1024);
    const odd = hostileBytes(70_001);
    const pipeline = client.pipeline();
    pipeline.set('pipe:big', big);
    pipeline.ping();
    pipeline.getBuffer('pipe:big');
    pipeline.set('pipe:odd', odd);
    pipeline.echo('between');
    pipeline.getBuffer('pipe:odd');
    pipeline.getBuffer('pipe:missing');
    pipeline.strlen('pipe:big');
    const replies = (await within(pipeline.exec(), 20_000, 'pipeline'))!;
    assert.deepEqual(
      replies.map(([e]) => e),
      replies.map(() => null),
    );
    assert.equal(replies[0][1], 'OK');
    assert.equal(replies[1][1], 'PONG');
    sameBytes(replies[2][1] as Buffer, big, 'pipelined GET of 4 MB');
    assert.equal(replies[3][1], 'OK');
    assert.equal(replies[4][1], 'between');
    sameBytes(replies[5][1] as Buffer, odd, 'pipelined GET of binary value');
    assert.equal(replies[6][1], null);
    assert.equal(replies[7][1], big.length);
  });

  it('binary values split over several nodes by MGET and MSET come back in order, intact', async () => {
    // Nodes listen on random ports, so the ring differs per run: 48 keys miss a node with odds of 1 in 10^8 (12 missed one in 40).
    const keys = Array.from({ length: 48 }, (_, i) => `bin:${i}`);
    const values = keys.map((_, i) => Buffer.concat([hostileBytes(1000 + i * 997), Buffer.from([i])]));
    assert.equal(await client.mset(...keys.flatMap((k, i) => [k, values[i]])), 'OK');
    assert.equal(new Set(await ownersOf(directs, keys)).size, 3, 'keys did not span all three nodes');
    const back = await client.mgetBuffer(...keys, 'bin:missing');
    assert.equal(back.length, keys.length + 1);
    values.forEach((v, i) => sameBytes(back[i], v, `MGET element ${i}`));
    assert.equal(back[keys.length], null);
  });

  it('several clients reading the same 10 MB value at once each get all of it', async () => {
    const value = randomBytes(10 * 1024 * 1024);
    await client.set('shared:big', value);
    const readers = Array.from({ length: 6 }, () => cluster.client());
    const results = await within(Promise.all(readers.map((r) => r.getBuffer('shared:big'))), 30_000, 'readers');
    results.forEach((r, i) => sameBytes(r, value, `reader ${i}`));
    for (const r of readers) r.disconnect();
  });
});
