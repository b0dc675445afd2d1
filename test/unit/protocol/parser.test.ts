import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RequestParser, defaultParserLimits, type ParserLimits } from '../../../src/protocol/parser.js';
import { configSchema } from '../../../src/config/schema.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { encodeCommand } from '../../../src/protocol/encode.js';
import { splitAt } from '../../helpers/chunks.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const hex = (buf: Uint8Array): string => Buffer.from(buf).toString('hex');

interface Parsed {
  /** Arguments as hex, so binary payloads compare exactly. */
  readonly args: string[];
  /** The request bytes as hex. */
  readonly raw: string;
}

function take(p: RequestParser, out: Parsed[]): void {
  while (p.next()) {
    const args: string[] = [];
    for (let i = 0; i < p.argc; i++) {
      // argBuffer, argString and starts/ends must describe the same bytes.
      assert.equal(p.argBuffer(i).toString('latin1'), p.argString(i));
      assert.equal(p.argLength(i), p.ends[i] - p.starts[i]);
      args.push(hex(p.argBuffer(i)));
    }
    out.push({ args, raw: hex(p.raw) });
  }
}

function parseChunks(chunks: readonly Buffer[], limits?: ParserLimits): Parsed[] {
  const p = new RequestParser(limits);
  const out: Parsed[] = [];
  for (const c of chunks) {
    p.push(c);
    take(p, out);
  }
  assert.equal(p.buffered, 0, 'every byte of the pipeline was consumed');
  return out;
}

// The pipeline: multibulk with \r\n inside payloads, an empty argument, inline commands (CRLF and
// bare LF), payloads that look like RESP, and the no-op forms *0, *-1 and an empty line.
const binaryKey = b('k\r\n\r\n');
const binaryValue = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x0d, 0x0a]);
const segments: { bytes: Buffer; args: Buffer[] | null }[] = [
  {
    bytes: Buffer.concat([b('*3\r\n$3\r\nSET\r\n$5\r\n'), binaryKey, b('\r\n$6\r\n'), binaryValue, b('\r\n')]),
    args: [b('SET'), binaryKey, binaryValue],
  },
  { bytes: b('*2\r\n$3\r\nGET\r\n$0\r\n\r\n'), args: [b('GET'), b('')] },
  { bytes: b('PING hello\r\n'), args: [b('PING'), b('hello')] },
  { bytes: b('*0\r\n'), args: null },
  { bytes: b('\r\n'), args: null },
  { bytes: b('*1\r\n$4\r\nPING\r\n'), args: [b('PING')] },
  { bytes: b('*-1\r\n'), args: null },
  { bytes: b('set "a b" \'c d\'\r\n'), args: [b('set'), b('a b'), b('c d')] },
  { bytes: b('*3\r\n$4\r\nECHO\r\n$8\r\n*1\r\n$1\r\n\r\n$2\r\n\r\n\r\n'), args: [b('ECHO'), b('*1\r\n$1\r\n'), b('\r\n')] },
  { bytes: b('ECHO x\n'), args: [b('ECHO'), b('x')] },
  { bytes: b('*2\r\n$4\r\nECHO\r\n$3\r\n\xe9\xff\x80\r\n'), args: [b('ECHO'), b('\xe9\xff\x80')] },
];
const pipeline = Buffer.concat(segments.map((s) => s.bytes));
const expected: Parsed[] = segments
  .filter((s) => s.args !== null)
  .map((s) => {
    const args = s.args as Buffer[];
    // A multibulk request is handed on as the client's own bytes; an inline one as its RESP encoding.
    const raw = s.bytes[0] === 42 ? s.bytes : encodeCommand(args);
    return { args: args.map(hex), raw: hex(raw) };
  });

test('a pipeline fed in one chunk yields every request, skipping *0, *-1 and empty lines', () => {
  assert.equal(expected.length, 8);
  assert.deepEqual(parseChunks([pipeline]), expected);
});

test('a pipeline split into two chunks at every point yields the same requests', () => {
  for (let cut = 0; cut <= pipeline.length; cut++) {
    assert.deepEqual(parseChunks(splitAt(pipeline, [cut])), expected, `split at ${cut}`);
  }
});

test('a pipeline fed one byte at a time yields the same requests', () => {
  const bytes: Buffer[] = [];
  for (let i = 0; i < pipeline.length; i++) bytes.push(pipeline.subarray(i, i + 1));
  assert.deepEqual(parseChunks(bytes), expected);
});

test('a pipeline split into three chunks at random points yields the same requests', () => {
  fc.assert(
    fc.property(fc.nat(pipeline.length), fc.nat(pipeline.length), (x, y) => {
      assert.deepEqual(parseChunks(splitAt(pipeline, [x, y])), expected);
    }),
    { numRuns: 500, seed: 42 },
  );
});

test('a pipeline split into any number of random chunks yields the same requests', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(pipeline.length), { maxLength: 40 }), (cuts) => {
      assert.deepEqual(parseChunks(splitAt(pipeline, cuts)), expected);
    }),
    { numRuns: 300, seed: 7 },
  );
});

test('random binary multibulk requests, pipelined and cut at random points, parse back to their arguments', () => {
  const arg = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
  const request = fc.array(arg, { minLength: 1, maxLength: 6 });
  fc.assert(
    fc.property(fc.array(request, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (requests, cutSeeds) => {
      const encoded = requests.map((args) => encodeCommand(args));
      const data = Buffer.concat(encoded);
      const got = parseChunks(splitAt(data, cutSeeds.map((c) => c % (data.length + 1))));
      assert.deepEqual(got, requests.map((args, i) => ({ args: args.map(hex), raw: hex(encoded[i]) })));
    }),
    { numRuns: 300, seed: 1234 },
  );
});

test('raw bytes of earlier requests stay unchanged while later chunks arrive (zero-copy hand-off)', () => {
  const p = new RequestParser();
  const kept: Buffer[] = [];
  for (let i = 0; i < pipeline.length; i += 5) {
    p.push(pipeline.subarray(i, i + 5));
    while (p.next()) kept.push(p.raw);
  }
  assert.deepEqual(kept.map(hex), expected.map((e) => e.raw));
});

test('requests whose bytes were copied into the parser\'s own block (after a partial chunk) parse exactly', () => {
  // The first chunk leaves a partial request, so the next chunks are copied into the parser's own block.
  const p = new RequestParser();
  const out: Parsed[] = [];
  const one = b('*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n');
  const stream = Buffer.concat([one, one, one, one]);
  p.push(stream.subarray(0, 30));
  take(p, out);
  p.push(stream.subarray(30, 31));
  take(p, out);
  p.push(stream.subarray(31));
  take(p, out);
  assert.equal(out.length, 4);
  for (const r of out) assert.deepEqual(r, { args: [hex(b('ECHO')), hex(b('abc'))], raw: hex(one) });
});

test('a 5 MB bulk fed in 64 KiB chunks parses once, with a bounded number of byte scans and copies', () => {
  const size = 5 * 1024 * 1024;
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff; // contains CR and LF bytes
  const request = Buffer.concat([b(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${size}\r\n`), payload, b('\r\n')]);

  const proto = Buffer.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const realIndexOf = proto.indexOf;
  const realCopy = proto.copy;
  let scans = 0;
  let copied = 0;
  proto.indexOf = function (this: Buffer, ...a: unknown[]) {
    scans++;
    return realIndexOf.apply(this, a);
  };
  proto.copy = function (this: Buffer, ...a: unknown[]) {
    const n = realCopy.apply(this, a) as number;
    copied += n;
    return n;
  };
  const p = new RequestParser();
  let nextCalls = 0;
  const results: Buffer[][] = [];
  try {
    const chunk = 64 * 1024;
    for (let i = 0; i < request.length; i += chunk) {
      p.push(request.subarray(i, i + chunk));
      nextCalls++;
      while (p.next()) {
        results.push([p.argBuffer(0), p.argBuffer(1), p.argBuffer(2)]);
        nextCalls++;
      }
    }
  } finally {
    proto.indexOf = realIndexOf;
    proto.copy = realCopy;
  }
  assert.equal(results.length, 1);
  assert.equal(results[0][0].toString(), 'SET');
  assert.equal(results[0][1].toString(), 'big');
  assert.equal(results[0][2].length, size);
  assert.ok(results[0][2].equals(payload));
  assert.equal(nextCalls, Math.ceil(request.length / (64 * 1024)) + 1);
  // Incremental parsing: the header lines are found once, not rescanned per chunk...
  assert.ok(scans <= 10, `indexOf called ${scans} times`);
  // ...and growth is geometric, so the bytes copied stay within a small multiple of the size.
  assert.ok(copied <= 4 * request.length, `copied ${copied} bytes for ${request.length}`);
});

function protocolError(chunks: readonly Buffer[], limits?: ParserLimits): ProtocolError {
  const p = new RequestParser(limits);
  const seen: Parsed[] = [];
  try {
    for (const c of chunks) {
      p.push(c);
      take(p, seen);
    }
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
    return error;
  }
  assert.fail(`no ProtocolError; parsed ${JSON.stringify(seen)}`);
}

const bytewise = (s: Buffer): Buffer[] => Array.from(s, (_, i) => s.subarray(i, i + 1));

const errorCases: [string, string, string][] = [
  ['*abc\r\n', 'not a number as multibulk count', 'invalid multibulk length'],
  ['*20000000000\r\n', 'multibulk count above INT_MAX', 'invalid multibulk length'],
  ['*2147483648\r\n', 'multibulk count INT_MAX + 1', 'invalid multibulk length'],
  ['*1\r\n$xyz\r\n', 'not a number as bulk length', 'invalid bulk length'],
  ['*1\r\n$-10\r\n', 'negative bulk length', 'invalid bulk length'],
  ['*1\r\n$10000000000\r\n', 'bulk length above proto-max-bulk-len', 'invalid bulk length'],
  ['*1\r\n$9223372036854775808\r\n', 'bulk length beyond 64 bits', 'invalid bulk length'],
  ['*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n', 'missing $ before an argument', "expected '$', got 'f'"],
  ['set """test-key""" test-value\r\n', 'inline closing quote followed by a quote', 'unbalanced quotes in request'],
  ['set "abc test\r\n', 'inline unterminated double quote', 'unbalanced quotes in request'],
  ["set 'abc test\r\n", 'inline unterminated single quote', 'unbalanced quotes in request'],
];

for (const [input, what, text] of errorCases) {
  test(`${what} replies "-ERR Protocol error: ${text}", whole or byte by byte`, () => {
    const reply = `-ERR Protocol error: ${text}\r\n`;
    assert.equal(protocolError([b(input)]).reply.toString('latin1'), reply);
    assert.equal(protocolError(bytewise(b(input))).reply.toString('latin1'), reply);
  });
}

test('a protocol error after good requests comes after those requests are returned', () => {
  const p = new RequestParser();
  p.push(b('*1\r\n$4\r\nPING\r\nPING\r\n*x\r\n'));
  assert.equal(p.next(), true);
  assert.equal(p.argString(0), 'PING');
  assert.equal(p.next(), true);
  assert.equal(p.argString(0), 'PING');
  assert.throws(() => p.next(), (e: unknown) => e instanceof ProtocolError && e.reply.toString() === '-ERR Protocol error: invalid multibulk length\r\n');
});

test('inline data of exactly 64 KiB without a newline waits; one more byte is "too big inline request"', () => {
  const p = new RequestParser();
  p.push(Buffer.alloc(64 * 1024, 'a'));
  assert.equal(p.next(), false);
  p.push(b('a'));
  assert.throws(() => p.next(), (e: unknown) => e instanceof ProtocolError && e.reply.toString() === '-ERR Protocol error: too big inline request\r\n');
});

test('"*" followed by more than 64 KiB without CR is "too big mbulk count string"', () => {
  const p = new RequestParser();
  p.push(Buffer.concat([b('*'), Buffer.alloc(64 * 1024 - 1, '1')]));
  assert.equal(p.next(), false, 'exactly 64 KiB still waits');
  p.push(b('1'));
  assert.throws(() => p.next(), (e: unknown) => e instanceof ProtocolError && e.reply.toString() === '-ERR Protocol error: too big mbulk count string\r\n');
});

test('"$" followed by more than 64 KiB without CR is "too big bulk count string"', () => {
  const reply = protocolError([b('*1\r\n'), Buffer.concat([b('$'), Buffer.alloc(64 * 1024, '1')])]).reply;
  assert.equal(reply.toString(), '-ERR Protocol error: too big bulk count string\r\n');
});

test('inline quoting: \\xHH and \\n escapes in double quotes, \\\' in single quotes', () => {
  const out = parseChunks([b(`set "a\\x41\\n" 'it\\'s'\r\n`)]);
  assert.deepEqual(out, [{ args: [hex(b('set')), hex(b('aA\n')), hex(b("it's"))], raw: hex(encodeCommand(['set', 'aA\n', "it's"])) }]);
});

test('inline quoting: other escapes, adjacent quoted parts, and runs of blanks', () => {
  const out = parseChunks([b(`  x "\\t\\r\\b\\a\\\\\\"\\q" a"b c" \t ''  "\\xzz"\r\n`)]);
  assert.deepEqual(
    out.map((r) => r.args.map((a) => Buffer.from(a, 'hex').toString('latin1'))),
    [['x', '\t\r\b\x07\\"q', 'ab c', '', 'xzz']],
  );
});

test('inline: a quote closing before a non-space is unbalanced even in single quotes', () => {
  assert.equal(protocolError([b("get 'a'b\r\n")]).reply.toString(), '-ERR Protocol error: unbalanced quotes in request\r\n');
});

test('inline: a vertical tab or form feed inside a word is part of the word, as in Redis\'s sdssplitargs', () => {
  // sdssplitargs ends an unquoted word only at ' ', \n, \r, \t or NUL; \v and \f are skipped only between words.
  const out = parseChunks([b('SET a\vb c\fd\r\n')]);
  assert.deepEqual(out[0].args, [hex(b('SET')), hex(b('a\vb')), hex(b('c\fd'))]);
});

test('inline: binary bytes outside ASCII are kept exactly', () => {
  const line = Buffer.concat([b('ECHO '), Buffer.from([0xc3, 0xa9, 0xff]), b('\r\n')]);
  const out = parseChunks([line]);
  assert.deepEqual(out[0].args, [hex(b('ECHO')), 'c3a9ff']);
});

const small: ParserLimits = { maxBulkLength: 10, maxMultibulkLength: 3, maxInlineLength: 16, maxQueryBuffer: 1024 };

test('a declared bulk length above the limit is refused before its bytes arrive', () => {
  const reply = protocolError([b('*2\r\n$3\r\nGET\r\n$11\r\n')], small).reply;
  assert.equal(reply.toString(), '-ERR Protocol error: invalid bulk length\r\n');
});

test('a bulk of exactly the limit is accepted', () => {
  assert.deepEqual(parseChunks([b('*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n')], small), [
    { args: [hex(b('GET')), hex(b('0123456789'))], raw: hex(b('*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n')) },
  ]);
});

test('a multibulk count above maxMultibulkLength is "invalid multibulk length"; at the limit it waits', () => {
  const p = new RequestParser(small);
  p.push(b('*3\r\n'));
  assert.equal(p.next(), false);
  assert.equal(protocolError([b('*4\r\n')], small).reply.toString(), '-ERR Protocol error: invalid multibulk length\r\n');
});

test('maxInlineLength applies to inline requests and to count lines', () => {
  assert.equal(protocolError([Buffer.alloc(17, 'a')], small).reply.toString(), '-ERR Protocol error: too big inline request\r\n');
  assert.equal(protocolError([b('*'), Buffer.alloc(16, '1')], small).reply.toString(), '-ERR Protocol error: too big mbulk count string\r\n');
  const p = new RequestParser(small);
  p.push(Buffer.alloc(16, 'a'));
  assert.equal(p.next(), false);
});

test('pushing past maxQueryBuffer throws a silent protocol error (Redis closes such a client without a reply)', () => {
  const p = new RequestParser(small);
  p.push(Buffer.alloc(1000, 'a'));
  assert.throws(
    () => p.push(Buffer.alloc(25, 'a')),
    (e: unknown) => e instanceof ProtocolError && e.reply.length === 0,
  );
});

test("a parser made without limits applies the configuration's default limits", () => {
  const { limits } = configSchema.parse({ nodes: ['127.0.0.1:6379'] });
  const defaults = new RequestParser();
  // Exactly at each default: accepted (the parser waits for the rest)...
  defaults.push(b(`*1\r\n$${limits.maxBulkLength}\r\n`));
  assert.equal(defaults.next(), false);
  const count = new RequestParser();
  count.push(b(`*${limits.maxMultibulkLength}\r\n`));
  assert.equal(count.next(), false);
  // ...one past it: refused.
  const bulk = new RequestParser();
  bulk.push(b(`*1\r\n$${limits.maxBulkLength + 1}\r\n`));
  assert.throws(() => bulk.next(), /invalid bulk length/);
  const multibulk = new RequestParser();
  multibulk.push(b(`*${limits.maxMultibulkLength + 1}\r\n`));
  assert.throws(() => multibulk.next(), /invalid multibulk length/);
  const inline = new RequestParser();
  inline.push(Buffer.alloc(limits.maxInlineLength, 'a'));
  assert.equal(inline.next(), false);
  inline.push(b('a'));
  assert.throws(() => inline.next(), /too big inline request/);
  assert.equal(defaultParserLimits.maxQueryBuffer, limits.maxQueryBuffer);
});

test('a large declared argument count is accepted and waits for its arguments (Redis accepts *1048577)', () => {
  const p = new RequestParser();
  p.push(b('*1048577\r\n$3\r\nSET\r\n'));
  assert.equal(p.next(), false);
});

test('like Redis, the two bytes after a bulk payload are skipped, not checked', () => {
  assert.deepEqual(
    parseChunks([b('*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n')]).map((r) => r.args),
    [[hex(b('PING'))], [hex(b('PING'))]],
  );
});

// Redis parses counts and lengths with string2ll, which refuses leading zeros and "-0". The proxy
// forwards a client's multibulk bytes untouched, so anything it accepts that Redis refuses makes
// the node answer a protocol error and close the shared node connection.
for (const [input, what, text] of [
  ['*01\r\n$4\r\nPING\r\n', 'an argument count with a leading zero (*01)', 'invalid multibulk length'],
  ['*-0\r\n', 'an argument count of -0', 'invalid multibulk length'],
  ['*1\r\n$04\r\nPING\r\n', 'a bulk length with a leading zero ($04)', 'invalid bulk length'],
  ['*2\r\n$4\r\nECHO\r\n$-0\r\n\r\n', 'a bulk length of -0', 'invalid bulk length'],
] as const) {
  test(`${what} is "${text}", as Redis's string2ll refuses it`, () => {
    assert.equal(protocolError([b(input)]).reply.toString(), `-ERR Protocol error: ${text}\r\n`);
  });
}

test("before AUTH, Redis's caps for unauthenticated clients: 10 arguments, 16 KiB per bulk, 1 MiB of input", () => {
  const failure = (bytes: Buffer | string): string => {
    const p = new RequestParser();
    p.unauthenticated = true;
    try {
      p.push(Buffer.from(bytes));
      while (p.next());
    } catch (error) {
      return (error as ProtocolError).message;
    }
    return 'none';
  };
  assert.equal(failure('*11\r\n'), 'ERR Protocol error: unauthenticated multibulk length');
  assert.equal(failure('*2\r\n$4\r\nAUTH\r\n$16385\r\n'), 'ERR Protocol error: unauthenticated bulk length');
  assert.equal(failure(encodeCommand(['AUTH', 'x'.repeat(16384)])), 'none');
  assert.equal(failure(encodeCommand(Array.from({ length: 10 }, () => 'a'))), 'none');
  assert.equal(failure(Buffer.alloc(1024 * 1024 + 1, 'a')), 'client reached the query buffer limit');
  // Once authenticated, the configured limits apply again.
  const p = new RequestParser();
  p.unauthenticated = true;
  p.unauthenticated = false;
  p.push(encodeCommand(Array.from({ length: 11 }, () => 'a')));
  assert.equal(p.next(), true);
});

test('inline: a NUL ends the arguments (a loop once pushed empty words forever there)', () => {
  const words = (line: string) => parseChunks([b(line)]).map((r) => r.args.map((a) => Buffer.from(a, 'hex').toString('latin1')));
  assert.deepEqual(words('PING\0\0\r\n'), [['PING']]);
  assert.deepEqual(words('SET k v\0 ignored\r\n'), [['SET', 'k', 'v']]);
  assert.deepEqual(words('GET a \0b\r\n'), [['GET', 'a']]);
});
