import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replyError } from '../../../src/telemetry/status.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('an error reply gives its prefix as the code and its line as the message', () => {
  assert.deepEqual(replyError(b('-ERR node 127.0.0.1:7003 unavailable\r\n')), { code: 'ERR', message: 'ERR node 127.0.0.1:7003 unavailable' });
  assert.deepEqual(replyError(b('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n')), {
    code: 'WRONGTYPE',
    message: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  });
  assert.deepEqual(replyError(b('-NOPROTO\r\n')), { code: 'NOPROTO', message: 'NOPROTO' });
});

test('other replies are not errors', () => {
  for (const reply of ['+OK\r\n', ':1\r\n', '$-1\r\n', '$3\r\n-ab\r\n', '*0\r\n']) assert.equal(replyError(b(reply)), undefined);
});

test('the arguments Redis quotes in an unknown-command error are left out, so values never reach a span', () => {
  const error = replyError(b("-ERR unknown command 'foo', with args beginning with: 'secret' \r\n"))!;
  assert.equal(error.message, "ERR unknown command 'foo'");
});

test('a very long error line is cut', () => {
  assert.ok(replyError(b(`-ERR ${'x'.repeat(5000)}\r\n`))!.message.length <= 256);
});
