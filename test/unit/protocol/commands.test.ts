import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupCommand, lookupCommandBytes, arityOk, keyPositions } from '../../../src/protocol/commands.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const find = (s: string) => lookupCommandBytes(bytes(s), 0, s.length);

test('every command in the table is found from its bytes in lower, upper and mixed case', () => {
  for (const name of ['get', 'set', 'mget', 'zunionstore', 'client', 'xreadgroup', 'lolwut']) {
    const spec = lookupCommand(name);
    assert.ok(spec, name);
    assert.equal(find(name), spec);
    assert.equal(find(name.toUpperCase()), spec);
    assert.equal(find(name[0].toUpperCase() + name.slice(1)), spec);
  }
});

test('byte lookup reads only the given range of a larger buffer', () => {
  const buf = bytes('*2\r\n$3\r\nGeT\r\n$1\r\nk\r\n');
  assert.equal(lookupCommandBytes(buf, 8, 11)?.name, 'get');
});

test('unknown names, prefixes and names differing only by a non-letter are not found', () => {
  for (const name of ['foo', 'ge', 'gett', 'g\u00e9t', '', 'get ', 'GET\0']) assert.equal(find(name), undefined, JSON.stringify(name));
});

test('case folding does not confuse punctuation with letters (@ and ` fold like A and a)', () => {
  // 0x40 | 0x20 = 0x60: a fold of every byte would make "@et" hash like "`et"; only letters fold.
  assert.equal(find('@ET'), undefined);
  assert.equal(find('`et'), undefined);
});

test('arity follows Redis: positive is exact, negative is a minimum', () => {
  const get = lookupCommand('get')!;
  const mget = lookupCommand('mget')!;
  assert.equal(arityOk(get, 2), true);
  assert.equal(arityOk(get, 3), false);
  assert.equal(arityOk(mget, 1), false);
  assert.equal(arityOk(mget, 5), true);
});

test('a declared key count beyond the arguments names no key, at once (found by the fuzz test: 169 million indexes crashed the process)', () => {
  for (const [name, args] of [
    ['eval', ['EVAL', 'return 1', '169220804', 'a']],
    ['fcall', ['FCALL', 'f', '99999999999', 'a']],
    ['zunionstore', ['ZUNIONSTORE', 'd', '2000000000', 'a']],
    ['sintercard', ['SINTERCARD', '1e9', 'a']],
    ['blmpop', ['BLMPOP', '0', 'many', 'a', 'LEFT']],
  ] as const) {
    assert.deepEqual(keyPositions(name, args), [], name);
  }
  assert.deepEqual(keyPositions('eval', ['EVAL', 'return 1', '2', 'a', 'b', 'c']), [3, 4]);
  assert.deepEqual(keyPositions('zunionstore', ['ZUNIONSTORE', 'd', '2', 'a', 'b']), [1, 3, 4]);
});
