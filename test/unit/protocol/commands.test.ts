import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupCommand, lookupCommandBytes, arityOk } from '../../../src/protocol/commands.js';

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
