import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyFramer, ReplyProtocolError, replyEnd, type FramerLimits } from '../../../src/protocol/replies.js';
import { configSchema } from '../../../src/config/schema.js';
import { decodeReply, type Reply } from '../../../src/protocol/decode.js';
import { array, bulk, bulkArray, integer, status, NIL, OK, PONG, EMPTY_ARRAY, encodeCommand } from '../../../src/protocol/encode.js';
import { splitAt } from '../../helpers/chunks.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

// One of each reply kind, nested arrays and null elements included.
const replies: string[] = [
  '+OK\r\n',
  '-ERR x\r\n',
  ':1\r\n',
  ':-42\r\n',
  '$-1\r\n',
  '$0\r\n\r\n',
  '$5\r\nhello\r\n',
  '$4\r\n\r\n\r\n\r\n', // a payload made of CRLFs
  '*-1\r\n',
  '*0\r\n',
  '*2\r\n*2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n',
  '*3\r\n$-1\r\n*-1\r\n$1\r\nz\r\n',
  '*2\r\n*0\r\n*1\r\n*1\r\n*1\r\n+deep\r\n',
  '*3\r\n+s\r\n-ERR inside\r\n:7\r\n',
  '+\r\n',
];
const stream = Buffer.concat(replies.map(b));

function frame(chunks: readonly Buffer[], limits?: FramerLimits): string[] {
  const f = new ReplyFramer(limits);
  const out: string[] = [];
  for (const c of chunks) {
    f.push(c);
    for (let r = f.next(); r !== null; r = f.next()) out.push(r.toString('latin1'));
  }
  return out;
}

test('each reply kind framed alone is returned whole, then next() gives null', () => {
  for (const r of replies) {
    const f = new ReplyFramer();
    f.push(b(r));
    assert.equal(f.next()?.toString('latin1'), r, JSON.stringify(r));
    assert.equal(f.next(), null);
  }
});

test('a stream of replies in one chunk is framed into the same list of byte strings', () => {
  assert.deepEqual(frame([stream]), replies);
});

test('a stream of replies split at every point gives the same list of replies', () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    assert.deepEqual(frame(splitAt(stream, [cut])), replies, `split at ${cut}`);
  }
});

test('a stream of replies fed one byte at a time gives the same list of replies', () => {
  assert.deepEqual(frame(Array.from(stream, (_, i) => stream.subarray(i, i + 1))), replies);
});

test('a stream of replies split at random points gives the same list of replies', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(stream.length), { maxLength: 30 }), (cuts) => {
      assert.deepEqual(frame(splitAt(stream, cuts)), replies);
    }),
    { numRuns: 300, seed: 11 },
  );
});

test('an incomplete reply gives null until its last byte arrives, then exactly its bytes', () => {
  const reply = b('*2\r\n$3\r\nfoo\r\n*1\r\n:5\r\n');
  const f = new ReplyFramer();
  for (let i = 0; i < reply.length - 1; i++) {
    f.push(reply.subarray(i, i + 1));
    assert.equal(f.next(), null, `after ${i + 1} bytes`);
  }
  f.push(reply.subarray(reply.length - 1));
  assert.equal(f.next()?.toString('latin1'), reply.toString('latin1'));
});

test('replies returned earlier keep their bytes while later chunks arrive', () => {
  const f = new ReplyFramer();
  const kept: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 3) {
    f.push(stream.subarray(i, i + 3));
    for (let r = f.next(); r !== null; r = f.next()) kept.push(r);
  }
  assert.deepEqual(kept.map((r) => r.toString('latin1')), replies);
});

test('a 3 MB bulk reply fed in 64 KiB chunks is framed once, followed by the next reply', () => {
  const size = 3 * 1024 * 1024;
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 131) & 0xff;
  const data = Buffer.concat([b(`$${size}\r\n`), payload, b('\r\n+OK\r\n')]);
  const f = new ReplyFramer();
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += 65536) {
    f.push(data.subarray(i, i + 65536));
    for (let r = f.next(); r !== null; r = f.next()) out.push(Buffer.from(r));
  }
  assert.equal(out.length, 2);
  assert.equal(out[0].length, data.length - 5);
  assert.ok(out[0].equals(data.subarray(0, data.length - 5)));
  assert.equal(out[1].toString(), '+OK\r\n');
});

test('an array of 100000 elements arriving in small chunks is framed as one reply', () => {
  const data = Buffer.concat([b('*100000\r\n'), ...Array.from({ length: 100000 }, (_, i) => b(`:${i}\r\n`))]);
  const out = frame(splitAt(data, Array.from({ length: 200 }, (_, i) => i * 3001)));
  assert.equal(out.length, 1);
  assert.equal(out[0], data.toString('latin1'));
});

for (const [input, what] of [
  ['!oops\r\n', 'a RESP3 blob error type byte'],
  ['?1\r\n', 'a byte that is no RESP type'],
  ['!-1\r\n', 'a RESP3 blob error of length -1'],
  ['%-1\r\n', 'a RESP3 map of -1 pairs'],
  ['hello\r\n', 'a letter'],
  ['$abc\r\n', 'a bulk length that is not a number'],
  ['$-2\r\n', 'a bulk length below -1'],
  ['*x\r\n', 'an array length that is not a number'],
  ['*-2\r\n', 'an array length below -1'],
  ['*2\r\n+ok\r\n?\r\n', 'a bad type byte inside an array'],
] as const) {
  test(`${what} throws ReplyProtocolError`, () => {
    const f = new ReplyFramer();
    f.push(b(input));
    assert.throws(() => {
      while (f.next() !== null);
    }, (e: unknown) => e instanceof ReplyProtocolError && e.message.startsWith('bad reply from node: '));
  });
}

test('bulk and array lengths above the framer limits throw before the bytes arrive', () => {
  const limits: FramerLimits = { maxBulkLength: 8, maxArrayLength: 2 };
  const f1 = new ReplyFramer(limits);
  f1.push(b('$9\r\n'));
  assert.throws(() => f1.next(), (e: unknown) => e instanceof ReplyProtocolError && e.message === 'bad reply from node: bulk length');
  const f2 = new ReplyFramer(limits);
  f2.push(b('*3\r\n'));
  assert.throws(() => f2.next(), (e: unknown) => e instanceof ReplyProtocolError && e.message === 'bad reply from node: array length');
  assert.deepEqual(frame([b('$8\r\n12345678\r\n*2\r\n:1\r\n:2\r\n')], limits), ['$8\r\n12345678\r\n', '*2\r\n:1\r\n:2\r\n']);
});

// decodeReply: a plain view of each reply, keeping every element's exact bytes.
type Plain = string | number | null | Plain[] | { status: string } | { error: string };
function plain(r: Reply): Plain {
  switch (r.kind) {
    case 'status':
      return { status: r.text };
    case 'error':
      return { error: r.text };
    case 'integer':
      return r.value;
    case 'bulk':
      return r.value === null ? null : r.value.toString('latin1');
    case 'array':
      return r.items === null ? null : r.items.map(plain);
  }
}

function checkRaw(r: Reply): void {
  if (r.kind === 'array' && r.items !== null) {
    // An array's bytes are its header followed by each element's bytes.
    const header = r.raw.subarray(0, r.raw.indexOf(10) + 1);
    assert.equal(Buffer.concat([header, ...r.items.map((i) => i.raw)]).toString('latin1'), r.raw.toString('latin1'));
    r.items.forEach(checkRaw);
  }
}

test('decodeReply decodes every reply kind, and raw is the exact bytes of the value', () => {
  const decoded = replies.map((r) => decodeReply(b(r)));
  assert.deepEqual(decoded.map(plain), [
    { status: 'OK' },
    { error: 'ERR x' },
    1,
    -42,
    null,
    '',
    'hello',
    '\r\n\r\n',
    null,
    [],
    [['a', 1], 'b'],
    [null, null, 'z'],
    [[], [[[{ status: 'deep' }]]]],
    [{ status: 's' }, { error: 'ERR inside' }, 7],
    { status: '' },
  ]);
  decoded.forEach((d, i) => {
    assert.equal(d.raw.toString('latin1'), replies[i]);
    checkRaw(d);
  });
  assert.equal(decoded[8].kind, 'array', '*-1 is a null array, not a null bulk');
  assert.equal(decoded[4].kind, 'bulk');
});

test('decodeReply of a reply framed from a chunked stream round-trips to the same bytes', () => {
  const framed = frame(splitAt(stream, [5, 17, 40, 41, 80]));
  assert.deepEqual(framed.map((r) => decodeReply(b(r)).raw.toString('latin1')), replies);
});

test('decodeReply accepts a Uint8Array view that is not a Buffer', () => {
  const bytes = b('xx*2\r\n$1\r\na\r\n$-1\r\n');
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 2, bytes.length - 2);
  assert.deepEqual(plain(decodeReply(view)), ['a', null]);
});

test('decodeReply reads RESP3 types as their RESP2 kin', () => {
  assert.deepEqual(decodeReply(b('_\r\n')).kind, 'bulk');
  assert.equal((decodeReply(b('_\r\n')) as { value: unknown }).value, null);
  const verbatim = decodeReply(b('=8\r\ntxt:ab\r\n\r\n'));
  assert.deepEqual(verbatim.kind === 'bulk' && verbatim.value?.toString(), 'ab\r\n');
  const map = decodeReply(b('%2\r\n+a\r\n:1\r\n+b\r\n#t\r\n'));
  assert.deepEqual(map.kind === 'array' && map.items!.map((i) => i.kind), ['status', 'integer', 'status', 'status']);
  assert.deepEqual(decodeReply(b('!3\r\nERR\r\n')).kind, 'error');
});

test('decodeReply throws on a type byte it does not know', () => {
  assert.throws(() => decodeReply(b('?0\r\n')), { message: 'cannot decode reply byte 63' });
});

test('encoders produce RESP2 bytes that frame and decode back to the same values', () => {
  const cases: [Buffer, string][] = [
    [OK, '+OK\r\n'],
    [PONG, '+PONG\r\n'],
    [NIL, '$-1\r\n'],
    [EMPTY_ARRAY, '*0\r\n'],
    [status('QUEUED'), '+QUEUED\r\n'],
    [integer(-3), ':-3\r\n'],
    [integer(12345678901234567890n), ':12345678901234567890\r\n'],
    [bulk(Buffer.from([0xff, 0x0d, 0x0a])), '$3\r\n\xff\r\n\r\n'],
    [bulk('\xe9'), '$1\r\n\xe9\r\n'],
    [bulk(null), '$-1\r\n'],
    [bulkArray(['a', null, '']), '*3\r\n$1\r\na\r\n$-1\r\n$0\r\n\r\n'],
    [array([OK, integer(1)]), '*2\r\n+OK\r\n:1\r\n'],
    [encodeCommand(['SET', 'k', Buffer.from('v')]), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n'],
  ];
  for (const [bytes, text] of cases) {
    assert.equal(bytes.toString('latin1'), text);
    assert.deepEqual(frame([bytes]), [text]);
  }
});

test("a framer made without limits takes bulk replies up to the configuration's default bulk limit", () => {
  const { limits } = configSchema.parse({ nodes: ['127.0.0.1:6379'] });
  const at = new ReplyFramer();
  at.push(b(`$${limits.maxBulkLength}\r\n`));
  assert.equal(at.next(), null);
  const past = new ReplyFramer();
  past.push(b(`$${limits.maxBulkLength + 1}\r\n`));
  assert.throws(() => past.next(), (e: unknown) => e instanceof ReplyProtocolError && e.message === 'bad reply from node: bulk length');
});

test('replyEnd finds where each kind of reply ends, nested arrays included, and -1 for a partial or foreign one', () => {
  const whole = [
    '+OK\r\n',
    '-ERR x\r\n',
    ':42\r\n',
    '$-1\r\n',
    '$0\r\n\r\n',
    '$4\r\na\r\nb\r\n',
    '*-1\r\n',
    '*0\r\n',
    '*3\r\n*2\r\n:1\r\n$1\r\nx\r\n*0\r\n$-1\r\n',
    // RESP3
    '_\r\n',
    '#t\r\n',
    ',3.14\r\n',
    '(3492890328409238509324850943850943825024385\r\n',
    '!9\r\nSYNTAX x\r\r\n',
    '=8\r\ntxt:ab\r\n\r\n',
    '%0\r\n',
    '%2\r\n+a\r\n:1\r\n$1\r\nb\r\n~2\r\n:1\r\n_\r\n',
    '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
    '|1\r\n+key\r\n+value\r\n:5\r\n',
    '*2\r\n|1\r\n+k\r\n+v\r\n,1.5\r\n#f\r\n',
  ];
  for (const reply of whole) {
    // After some other bytes, and followed by the next reply: the end is its own.
    const buf = b(`..${reply}+NEXT\r\n`);
    assert.equal(replyEnd(buf, 2), 2 + reply.length, JSON.stringify(reply));
    // The same reply framed by the streaming framer ends at the same byte.
    assert.deepEqual(frame([b(reply)]), [reply]);
    for (let cut = 1; cut < reply.length; cut++) assert.equal(replyEnd(b(reply.slice(0, cut)), 0), -1, `${JSON.stringify(reply)} cut at ${cut}`);
  }
  assert.equal(replyEnd(b('?1\r\n+a\r\n'), 0), -1, 'not a reply');
  assert.equal(replyEnd(b('$x\r\n'), 0), -1);
});
