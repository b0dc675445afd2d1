import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand } from '../../../src/protocol/encode.js';
import { EncodedRequest } from '../../../src/routing/request.js';
import { encodedArgs, operationName, queryText, requestArgs, UNKNOWN_OPERATION } from '../../../src/telemetry/query.js';

const view = (...args: string[]): EncodedRequest => new EncodedRequest(args);

test('the operation name is the command in upper case, with its subcommand', () => {
  assert.equal(operationName(view('get', 'k')), 'GET');
  assert.equal(operationName(view('MGet', 'a', 'b')), 'MGET');
  assert.equal(operationName(view('config', 'get', 'save')), 'CONFIG GET');
  assert.equal(operationName(view('client', 'setname', 'x')), 'CLIENT SETNAME');
  assert.equal(operationName(view('config', 'nosuch')), 'CONFIG');
  assert.equal(operationName(view('nosuchcommand', 'x')), UNKNOWN_OPERATION);
});

test('a query text keeps the command and its keys and replaces every value with ?', () => {
  assert.equal(queryText(['get', 'user:1']), 'GET user:1');
  assert.equal(queryText(['SET', 'user:1', 'secret', 'EX', '10']), 'SET user:1 ? ? ?');
  assert.equal(queryText(['mset', 'a', 'va', 'b', 'vb']), 'MSET a ? b ?');
  assert.equal(queryText(['MGET', 'a', 'b', 'c']), 'MGET a b c');
  assert.equal(queryText(['HSET', 'h', 'field', 'value']), 'HSET h ? ?');
  assert.equal(queryText(['EVAL', 'return 1', '2', 'k1', 'k2', 'arg']), 'EVAL ? ? k1 k2 ?');
  assert.equal(queryText(['CONFIG', 'GET', 'save']), 'CONFIG GET ?');
  assert.equal(queryText(['PING', 'hello']), 'PING ?');
  assert.equal(queryText(['nosuch', 'a']), UNKNOWN_OPERATION);
});

test('a long query text counts the arguments past the first 64', () => {
  const keys = Array.from({ length: 99 }, (_, i) => `k${i}`);
  const text = queryText(['MGET', ...keys]);
  assert.ok(text.startsWith('MGET k0 k1 '));
  assert.ok(text.endsWith(' k62 [36 other arguments]'), text);
});

test('trailing routing options are left out of a request arguments', () => {
  const prefixes = ['hash=', 'index=', 'traceparent='];
  assert.deepEqual(requestArgs(view('GET', 'k', 'traceparent=00-x', 'hash=h'), prefixes), ['GET', 'k']);
  assert.deepEqual(requestArgs(view('GET', 'k'), prefixes), ['GET', 'k']);
});

test('the arguments of a request jupiter encoded for a node are read back', () => {
  assert.deepEqual(encodedArgs(encodeCommand(['MGET', 'a', Buffer.from('ü', 'utf8')])), ['MGET', 'a', 'ü']);
});
