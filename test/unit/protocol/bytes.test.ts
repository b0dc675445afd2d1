import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrayHeaderLength, copyRange, joinBytes, writeArrayHeader } from '../../../src/protocol/bytes.js';

test('writeArrayHeader writes *<count>\\r\\n exactly where arrayHeaderLength says it ends', () => {
  for (const count of [0, 1, 9, 10, 11, 99, 100, 12345, 2147483647]) {
    const out = Buffer.alloc(arrayHeaderLength(count) + 2, '.');
    const end = writeArrayHeader(out, 1, count);
    assert.equal(end, 1 + arrayHeaderLength(count));
    assert.equal(out.toString('latin1'), `.*${count}\r\n.`);
  }
});

test('copyRange copies short and long ranges to the given place and returns the end', () => {
  const src = Buffer.from('0123456789'.repeat(20));
  for (const [from, to] of [[0, 0], [3, 9], [5, 190]]) {
    const dst = Buffer.alloc(200, '.');
    assert.equal(copyRange(src, from, to, dst, 2), 2 + to - from);
    assert.equal(dst.toString('latin1', 2, 2 + to - from), src.toString('latin1', from, to));
    assert.equal(dst[1], 46);
    assert.equal(dst[2 + to - from], 46);
  }
});

test('joinBytes joins only the first count parts, short and long', () => {
  const parts = [Buffer.from('+OK\r\n'), Buffer.from(`$40\r\n${'x'.repeat(40)}\r\n`), Buffer.from(':1\r\n'), Buffer.from('stale')];
  assert.equal(Buffer.from(joinBytes(parts, 3)).toString('latin1'), `+OK\r\n$40\r\n${'x'.repeat(40)}\r\n:1\r\n`);
  assert.equal(joinBytes(parts, 1), parts[0], 'one part is written as it is');
});
