import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestKeys } from '../../../src/handoff/request-keys.js';
import { encodeCommand } from '../../../src/protocol/encode.js';

const keys = (...args: string[]): string[] => requestKeys(encodeCommand(args)).map((k) => k.toString('latin1'));

test('a handoff pair reads back the keys a forwarded request acts on', () => {
  assert.deepEqual(keys('SET', 'a', '1'), ['a']);
  assert.deepEqual(keys('get', 'a'), ['a']);
  assert.deepEqual(keys('MGET', 'a', 'b', 'c'), ['a', 'b', 'c']);
  assert.deepEqual(keys('MSET', 'a', '1', 'b', '2'), ['a', 'b']);
  assert.deepEqual(keys('EVAL', 'return 1', '2', 'x', 'y', 'arg'), ['x', 'y']);
  assert.deepEqual(keys('SUNIONSTORE', 'd', 's1', 's2'), ['d', 's1', 's2']);
  assert.deepEqual(keys('PING'), []);
  assert.deepEqual(keys('SCAN', '0', 'MATCH', 'k*'), []);
  assert.deepEqual(requestKeys(encodeCommand([Buffer.from('SET'), Buffer.from([0xff, 0x00]), Buffer.from('v')])), [Buffer.from([0xff, 0x00])]);
});
