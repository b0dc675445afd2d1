import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyQueue } from '../../../src/actors/replyqueue.js';

const b = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const text = (out: Uint8Array[]): string[] => out.map((x) => Buffer.from(x).toString('latin1'));

function take(q: ReplyQueue): { replies: string[]; bytes: number } {
  const out: Uint8Array[] = [];
  const n = q.takeReady(out);
  const taken = out.slice(0, n);
  return { replies: text(taken), bytes: taken.reduce((sum, x) => sum + x.length, 0) };
}

test('slots get consecutive sequence numbers and size counts the open ones', () => {
  const q = new ReplyQueue();
  assert.equal(q.size, 0);
  assert.deepEqual([q.open(), q.open(), q.open()], [0, 1, 2]);
  assert.equal(q.size, 3);
});

test('replies filled out of order are released in request order, only as a filled prefix', () => {
  const q = new ReplyQueue();
  const [s0, s1, s2] = [q.open(), q.open(), q.open()];
  q.fill(s2, -1, b(':2\r\n'));
  q.fill(s1, -1, b(':1\r\n'));
  assert.deepEqual(take(q), { replies: [], bytes: 0 }, 'nothing before the first reply');
  assert.equal(q.size, 3);
  q.fill(s0, -1, b(':0\r\n'));
  assert.deepEqual(take(q), { replies: [':0\r\n', ':1\r\n', ':2\r\n'], bytes: 12 });
  assert.equal(q.size, 0);
  assert.deepEqual(take(q), { replies: [], bytes: 0 });
});

test('a filled prefix is released while later slots wait, and sequence numbers continue', () => {
  const q = new ReplyQueue();
  const s0 = q.open();
  const s1 = q.open();
  q.fill(s0, -1, b('+a\r\n'));
  assert.deepEqual(take(q).replies, ['+a\r\n']);
  assert.equal(q.size, 1);
  const s2 = q.open();
  assert.equal(s2, 2);
  q.fill(s2, -1, b('+c\r\n'));
  assert.deepEqual(take(q).replies, []);
  q.fill(s1, -1, b('+b\r\n'));
  assert.deepEqual(take(q).replies, ['+b\r\n', '+c\r\n']);
  assert.equal(q.open(), 3, 'numbering continues after the queue emptied');
});

test('a fill for a slot already released is ignored', () => {
  const q = new ReplyQueue();
  const s0 = q.open();
  q.fill(s0, -1, b('+first\r\n'));
  take(q);
  const s1 = q.open();
  q.fill(s0, -1, b('+late\r\n'));
  q.fill(99, -1, b('+nowhere\r\n'));
  assert.deepEqual(take(q).replies, []);
  q.fill(s1, -1, b('+second\r\n'));
  assert.deepEqual(take(q).replies, ['+second\r\n']);
});

test('a fragment merges once, when its last part arrives, with the parts in part order', () => {
  const q = new ReplyQueue();
  const calls: string[][] = [];
  const s0 = q.open();
  const f = q.openFragment(3, (replies) => {
    calls.push(text([...replies]));
    return b(`+${text([...replies]).map((r) => r.trim()).join('')}\r\n`);
  });
  const s2 = q.open();
  q.fill(f, 2, b('C\r\n'));
  q.fill(f, 0, b('A\r\n'));
  q.fill(s0, -1, b('+zero\r\n'));
  q.fill(s2, -1, b('+two\r\n'));
  assert.deepEqual(take(q).replies, ['+zero\r\n'], 'an incomplete fragment holds back later replies');
  assert.deepEqual(calls, []);
  q.fill(f, 1, b('B\r\n'));
  assert.deepEqual(calls, [['A\r\n', 'B\r\n', 'C\r\n']]);
  assert.deepEqual(take(q).replies, ['+ABC\r\n', '+two\r\n']);
});

test('a second reply for a fragment part already filled is ignored', () => {
  const q = new ReplyQueue();
  let merges = 0;
  const f = q.openFragment(2, (replies) => {
    merges++;
    return Buffer.concat(replies.map((r) => Buffer.from(r)));
  });
  q.fill(f, 0, b(':1\r\n'));
  q.fill(f, 0, b(':9\r\n'));
  assert.equal(merges, 0);
  q.fill(f, 1, b(':2\r\n'));
  q.fill(f, 1, b(':8\r\n'));
  assert.equal(merges, 1);
  assert.deepEqual(take(q).replies, [':1\r\n:2\r\n']);
});

test('a one-part fragment merges on its only reply', () => {
  const q = new ReplyQueue();
  const f = q.openFragment(1, ([r]) => Buffer.concat([Buffer.from('wrapped:'), Buffer.from(r)]));
  q.fill(f, 0, b('x'));
  assert.deepEqual(take(q).replies, ['wrapped:x']);
});

test('thousands of slots filled in random order come out in order (growth and wrap-around keep numbering)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer(), (n, seed) => {
      const q = new ReplyQueue();
      const out: string[] = [];
      let next = 0;
      let s = seed | 1;
      const rnd = (k: number): number => {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        return (s >>> 0) % k;
      };
      // Open in waves, fill a random open slot each step, take now and then.
      const open: number[] = [];
      let steps = 0;
      while (out.length < n) {
        assert.ok(++steps <= 2 * n, 'every slot is released once all are filled');
        while (next < n && open.length < 1500) {
          assert.equal(q.open(), next);
          open.push(next++);
        }
        const i = rnd(open.length);
        const seq = open[i];
        open[i] = open[open.length - 1];
        open.pop();
        q.fill(seq, -1, b(String(seq)));
        if (rnd(4) === 0 || open.length === 0) {
          const got: Uint8Array[] = [];
          q.takeReady(got);
          out.push(...text(got));
        }
      }
      assert.deepEqual(out, Array.from({ length: n }, (_, i) => String(i)));
      assert.equal(q.size, 0);
    }),
    { numRuns: 20, seed: 3 },
  );
});

test('reusing one out array: takeReady writes from index 0 and its count says how many are fresh', () => {
  const q = new ReplyQueue();
  const out: Uint8Array[] = [];
  for (const s of ['+a\r\n', '+b\r\n', '+c\r\n']) q.fill(q.open(), -1, b(s));
  assert.equal(q.takeReady(out), 3);
  q.fill(q.open(), -1, b('+d\r\n'));
  assert.equal(q.takeReady(out), 1);
  assert.equal(text(out.slice(0, 1))[0], '+d\r\n');
});

test('an error reply counts for the command its slot was opened for; other replies do not', () => {
  const errors = new Float64Array(8);
  const q = new ReplyQueue(errors);
  q.command = 3;
  const a = q.open();
  const b = q.open();
  q.command = 5;
  const c = q.openFragment(2, (parts) => parts[1]);
  q.command = 6;
  const d = q.open();
  q.fill(a, -1, Buffer.from('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'));
  q.fill(b, -1, Buffer.from('+OK\r\n'));
  q.fill(c, 0, Buffer.from('+OK\r\n'));
  q.fill(c, 1, Buffer.from('!9\r\nERR oops!\r\n'));
  q.fill(d, -1, Buffer.from('$2\r\n-x\r\n'));
  // A second answer to a filled slot is ignored, and is not counted.
  q.fill(a, -1, Buffer.from('-ERR again\r\n'));
  assert.deepEqual([...errors], [0, 0, 0, 1, 0, 1, 0, 0]);
  assert.equal(q.takeReady(new Array(8)), 4);
});
