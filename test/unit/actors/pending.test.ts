import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingQueue } from '../../../src/actors/pending.js';
import { addToBatch, releaseBatch, takeBatch, detachBatch } from '../../../src/actors/batch.js';

interface Peer {
  readonly address: number;
}
const peer = (address: number): Peer => ({ address });

test('PendingQueue keeps requests in order through growth and wrap-around', () => {
  const q = new PendingQueue<Peer>();
  const peers = [peer(1), peer(2), peer(3)];
  const got: string[] = [];
  let pushed = 0;
  // Pushes outrun shifts, so the buffer grows several times while its head is mid-array.
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 100 + round * 37; i++, pushed++) q.push(peers[pushed % 3], pushed, pushed % 5, 1000 + pushed, undefined);
    for (let i = 0; i < 90; i++) {
      got.push(`${q.peer.address}:${q.slot}:${q.part}`);
      q.shift();
    }
  }
  while (q.length > 0) {
    got.push(`${q.peer.address}:${q.slot}:${q.part}`);
    q.shift();
  }
  assert.equal(got.length, pushed);
  assert.deepEqual(got, Array.from({ length: pushed }, (_, i) => `${(i % 3) + 1}:${i}:${i % 5}`));
});

test('PendingQueue reports the oldest queue time, and -1 when empty', () => {
  const q = new PendingQueue<Peer>();
  assert.equal(q.oldestAt(), -1);
  q.push(peer(1), 0, -1, 50, undefined);
  q.push(peer(1), 1, -1, 60, undefined);
  assert.equal(q.oldestAt(), 50);
  q.shift();
  assert.equal(q.oldestAt(), 60);
  q.shift();
  assert.equal(q.oldestAt(), -1);
});

test('PendingQueue keeps slot numbers beyond 32 bits exact', () => {
  const q = new PendingQueue<Peer>();
  const big = 2 ** 40 + 7;
  q.push(peer(9), big, 2, 0, undefined);
  assert.equal(q.slot, big);
  assert.equal(q.part, 2);
});

test('a released batch comes back empty, holding none of its old bytes', () => {
  const batch = takeBatch();
  addToBatch(batch, 4, -1, Buffer.from('+OK\r\n'));
  addToBatch(batch, 5, 1, Buffer.from(':1\r\n'));
  batch.traces = [];
  releaseBatch(batch);
  const again = takeBatch();
  assert.equal(again, batch, 'the pool hands back the released batch');
  assert.equal(again.count, 0);
  assert.equal(again.traces, undefined);
  assert.ok(again.bytes.every((b) => b.length === 0), 'payload references were dropped');
  releaseBatch(again);
});

test('a detached batch is an exact-length copy, unaffected when the pooled original is reused', () => {
  const batch = takeBatch();
  const pool = Buffer.from('xx+OK\r\nyy');
  addToBatch(batch, 1, -1, pool.subarray(2, 7));
  const copy = detachBatch(batch, (b) => Uint8Array.prototype.slice.call(b));
  const reused = takeBatch();
  addToBatch(reused, 99, 3, Buffer.from('-ERR\r\n'));
  assert.deepEqual({ count: copy.count, slots: copy.slots, parts: copy.parts }, { count: 1, slots: [1], parts: [-1] });
  assert.equal(Buffer.from(copy.bytes[0]).toString(), '+OK\r\n');
  assert.equal(copy.bytes[0].buffer.byteLength, 5, 'the copy owns just its bytes');
  releaseBatch(reused);
});
