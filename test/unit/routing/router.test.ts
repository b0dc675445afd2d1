import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { Ring } from '../../../src/ring/ring.js';
import { Session } from '../../../src/routing/session.js';
import { commandNames } from '../../../src/protocol/commands.js';
import { Router } from '../../../src/routing/router.js';
import { defaultPrefixes, stripOptions, compileOptionTest } from '../../../src/routing/options.js';
import { ownerOfKey, ownerOfKeyString } from '../../../src/routing/hashkey.js';
import type { AdminQuery, BlobRequest, ClientState, Dispatch, Ejected, LeaseOptions, Merge, Part, ProxyFacts, PubSubKind } from '../../../src/routing/dispatch.js';
import { RequestParser } from '../../../src/protocol/parser.js';
import { encodeCommand } from '../../../src/protocol/encode.js';
import { Extensions } from '../../../src/actors/extensions.js';
import { Access, type User } from '../../../src/security/access.js';

const ring = Ring.build(
  [
    { id: 'a:1', weight: 1 },
    { id: 'b:1', weight: 1 },
    { id: 'c:1', weight: 1 },
  ],
  1,
);

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
/** The ring's own answer, independent of routing code. */
const owner = (key: string | Buffer): number => {
  const bytes = typeof key === 'string' ? b(key) : key;
  return ring.ownerOf(bytes, 0, bytes.length);
};

/** The first keys `prefix0`, `prefix1`... owned by node n, skipping `skip` of them. */
function keyOn(n: number, skip = 0, prefix = 'key:'): string {
  for (let i = 0; ; i++) {
    const k = `${prefix}${i}`;
    if (owner(k) === n && skip-- === 0) return k;
  }
}

type Call =
  | { kind: 'reply'; bytes: string }
  | { kind: 'forward'; node: number; bytes: string; raw: Uint8Array; slow: boolean }
  | { kind: 'fragment'; parts: { node: number; bytes: string; slow?: true }[]; merge: Merge }
  | { kind: 'ask'; query: AdminQuery }
  | { kind: 'extension'; actor: number; name: string; args: readonly string[] }
  | { kind: 'blob'; request: BlobRequest }
  | { kind: 'lease'; member: string; bytes: string; silent: boolean; waitMs: number }
  | { kind: 'endLease'; clean: boolean }
  | { kind: 'quietly'; node: number; bytes: string }
  | { kind: 'listen' | 'unlisten'; what: PubSubKind; names: readonly string[] };

class FakeClient implements ClientState {
  name: string | null = null;
  admin = false;
  user: User | null = null;
  authenticated = true;
  gated = false;
  /** Follows the rules of the proxy it is given (a FakeDispatch's access). */
  access = new Access({ users: [], deny: [] });
  authenticate(user: User | null): void {
    this.user = user;
    this.authenticated = user !== null || !this.access.required;
    this.admin = user?.admin === true;
    this.gated = !this.authenticated || user?.restricted === true || this.access.denied.size > 0;
  }
  readonly session = new Session();
  subscriptions = 0;
  resp3 = false;
  forgetSubscriptions(): void {
    this.subscriptions = 0;
  }
  closed = 0;
  constructor(readonly id: number) {}
  closeAfterReply(): void {
    this.closed++;
  }
  describe(): string {
    return `id=${this.id} name=${this.name ?? ''}`;
  }
  readonly addr = '127.0.0.1:5555';
  killed = 0;
  kill(): void {
    this.killed++;
  }
}

class FakeDispatch implements Dispatch {
  readonly calls: Call[] = [];
  readonly client = new FakeClient(7);
  proxy: ProxyFacts = {
    version: '9.9.9',
    admin: { enabled: true },
    startedAt: Date.now(),
    port: 7777,
    membershipDatabase: 15,
    limits: { maxClients: 10000, idleTimeoutSeconds: 0 },
    onDown: 'error' as 'error' | 'miss',
    connectedClients: () => 3,
    clients: () => [this.client, this.other],
    extensions: new Extensions(),
    access: new Access({ users: [], deny: [] }),
  };
  /** Another client of the same proxy. */
  readonly other = new FakeClient(8);
  constructor(
    readonly ring: Ring,
    readonly hashTags = true,
  ) {}
  /** The command the latest replies answer. */
  commandId = -1;
  command(id: number): void {
    this.commandId = id;
  }
  reply(bytes: Uint8Array): void {
    this.calls.push({ kind: 'reply', bytes: text(bytes) });
  }
  forward(node: number, bytes: Uint8Array, slow = false): void {
    this.calls.push({ kind: 'forward', node, bytes: text(bytes), raw: bytes, slow });
  }
  askMembership(query: AdminQuery): void {
    this.calls.push({ kind: 'ask', query });
  }
  askExtension(actor: number, name: string, args: readonly string[]): void {
    this.calls.push({ kind: 'extension', actor, name, args });
  }
  askBlob(request: BlobRequest): void {
    this.calls.push({ kind: 'blob', request });
  }
  fragment(parts: readonly Part[], merge: Merge): void {
    this.calls.push({ kind: 'fragment', parts: parts.map((p) => ({ node: p.node, bytes: text(p.bytes), ...(p.slow === true ? { slow: true as const } : {}) })), merge });
  }
  ejected: Ejected | null = null;
  quietly(node: number, bytes: Uint8Array): void {
    this.calls.push({ kind: 'quietly', node, bytes: text(bytes) });
  }
  lease(member: string, bytes: Uint8Array, options?: LeaseOptions): void {
    this.calls.push({ kind: 'lease', member, bytes: text(bytes), silent: options?.silent === true, waitMs: options?.waitMs ?? 0 });
  }
  endLease(clean: boolean): void {
    this.calls.push({ kind: 'endLease', clean });
  }
  listen(what: PubSubKind, names: readonly string[]): void {
    this.calls.push({ kind: 'listen', what, names });
    this.client.subscriptions += names.length;
  }
  unlisten(what: PubSubKind, names: readonly string[]): void {
    this.calls.push({ kind: 'unlisten', what, names });
  }
  useProtocol(resp3: boolean): void {
    this.client.resp3 = resp3;
  }
}

// index= is off by default; these tests switch it on, as a config may (its default is tested below).
const prefixes = { ...defaultPrefixes, index: 'index=' };
const router = new Router({ prefixes });

/** Parses bytes with the real parser (as the proxy does) and routes the one request. */
function routeBytes(bytes: Buffer, d = new FakeDispatch(ring)): { d: FakeDispatch; trace: string | undefined; parser: RequestParser } {
  const parser = new RequestParser();
  parser.push(bytes);
  assert.equal(parser.next(), true);
  const trace = router.route(parser, d);
  return { d, trace, parser };
}

const route = (args: (string | Buffer)[], hashTags = true) => routeBytes(encodeCommand(args), new FakeDispatch(ring, hashTags));

/** The one call a request produced. */
function only(d: FakeDispatch): Call {
  assert.equal(d.calls.length, 1, `expected one call, got ${JSON.stringify(d.calls.map((c) => c.kind))}`);
  return d.calls[0];
}

function replyOf(args: string[]): string {
  const c = only(route(args).d);
  assert.equal(c.kind, 'reply', `${args.join(' ')} was ${c.kind}`);
  return (c as { bytes: string }).bytes;
}

function fragmentOf(args: string[]): { parts: { node: number; bytes: string }[]; merge: Merge } {
  const c = only(route(args).d);
  assert.equal(c.kind, 'fragment', `${args.join(' ')} was ${c.kind}`);
  return c as { parts: { node: number; bytes: string }[]; merge: Merge };
}

const merged = (merge: Merge, replies: string[]): string => text(merge(replies.map(b)));
/** A call without the raw reference, for deepEqual. */
function fwd(c: Call): { kind: string; node?: number; bytes?: string } {
  if (c.kind === 'forward') return { kind: c.kind, node: c.node, bytes: c.bytes };
  if (c.kind === 'reply') return { kind: c.kind, bytes: c.bytes };
  return { kind: c.kind };
}

const resp = (...args: (string | Buffer)[]): string => text(encodeCommand(args));

test('test keys: the key helpers find keys on each of the three nodes', () => {
  assert.deepEqual([0, 1, 2].map((n) => owner(keyOn(n))), [0, 1, 2]);
});

test('GET k is forwarded to the ring owner of k with the client\'s bytes untouched', () => {
  const { d, trace, parser } = route(['GET', 'k']);
  const c = only(d);
  assert.deepEqual({ ...c, raw: undefined }, { kind: 'forward', node: owner('k'), bytes: '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n', raw: undefined, slow: false });
  assert.equal((c as { raw: Uint8Array }).raw, parser.raw, 'the parser\'s own bytes are forwarded, not a copy');
  assert.equal(trace, undefined);
});

test('single-key commands go to the owner of their key on every node', () => {
  for (const n of [0, 1, 2]) {
    const key = keyOn(n);
    assert.deepEqual(fwd(only(route(['SET', key, 'v']).d)), { kind: 'forward', node: n, bytes: resp('SET', key, 'v') });
  }
});

test('an inline request is forwarded as its RESP encoding', () => {
  const c = only(routeBytes(b('get k\r\n')).d);
  assert.equal(c.kind, 'forward');
  assert.equal((c as { bytes: string }).bytes, resp('get', 'k'));
});

test('SET hello world hash=somekey forwards exactly SET hello world to the owner of somekey', () => {
  const c = only(route(['SET', 'hello', 'world', 'hash=somekey']).d);
  assert.deepEqual(fwd(c), {
    kind: 'forward',
    node: owner('somekey'),
    bytes: '*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$5\r\nworld\r\n',
  });
});

test('hash=KEY picks the node of KEY, not of the command\'s own key', () => {
  const k = keyOn(0);
  const h = keyOn(2, 0, 'h');
  const c = only(route(['SET', k, 'v', `hash=${h}`]).d);
  assert.equal(c.kind, 'forward');
  assert.equal((c as { node: number }).node, 2);
  assert.equal((c as { bytes: string }).bytes, resp('SET', k, 'v'));
});

test('hash= strips binary arguments without changing a byte', () => {
  const value = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0xe9]);
  const c = only(route(['SET', 'k', value, 'hash=x']).d);
  assert.equal((c as { bytes: string }).bytes, resp('SET', 'k', value));
  assert.equal((c as { node: number }).node, owner('x'));
});

test('hash= pins a multi-key command to one node instead of splitting it', () => {
  const [k0, k1] = [keyOn(0), keyOn(1)];
  const c = only(route(['MGET', k0, k1, 'hash=x']).d);
  assert.deepEqual(fwd(c), {
    kind: 'forward',
    node: owner('x'),
    bytes: resp('MGET', k0, k1),
  });
});

test('GET k index=1 routes by args[1] and forwards GET k', () => {
  const k = keyOn(1);
  const c = only(route(['GET', k, 'index=1']).d);
  assert.deepEqual(fwd(c), {
    kind: 'forward',
    node: 1,
    bytes: resp('GET', k),
  });
});

test('index=N routes by the N-th argument, here a value rather than the key', () => {
  const k = keyOn(0);
  const v = keyOn(2, 0, 'v');
  const c = only(route(['SET', k, v, 'index=2']).d);
  assert.equal((c as { node: number }).node, 2);
  assert.equal((c as { bytes: string }).bytes, resp('SET', k, v));
});

test('index= outside the arguments replies the wrong-arity error of the command', () => {
  assert.equal(replyOf(['GET', 'k', 'index=2']), "-ERR wrong number of arguments for 'get' command\r\n");
  assert.equal(replyOf(['GET', 'k', 'index=0']), "-ERR wrong number of arguments for 'get' command\r\n");
});

test('a trailing traceparent= is stripped and returned by route()', () => {
  const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const { d, trace } = route(['GET', 'k', `traceparent=${tp}`]);
  const c = only(d);
  assert.equal(trace, tp);
  assert.deepEqual(fwd(c), {
    kind: 'forward',
    node: owner('k'),
    bytes: resp('GET', 'k'),
  });
});

const TP1 = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

test('traceparent= and hash= together, in either order, are both stripped', () => {
  for (const tail of [
    ['hash=x', `traceparent=${TP1}`],
    [`traceparent=${TP1}`, 'hash=x'],
  ]) {
    const { d, trace } = route(['GET', 'k', ...tail]);
    const c = only(d);
    assert.equal(trace, TP1);
    assert.equal((c as { node: number }).node, owner('x'));
    assert.equal((c as { bytes: string }).bytes, resp('GET', 'k'));
  }
});

test('traceparent= is returned even when the request is answered locally or refused', () => {
  assert.equal(route(['PING', `traceparent=${TP1}`]).trace, TP1);
  assert.equal(route(['NOSUCH', `traceparent=${TP1}`]).trace, TP1);
});

test('by default index= is off and traceparent= is taken only when it is a W3C traceparent: otherwise both are values', () => {
  const plain = new Router({ prefixes: defaultPrefixes });
  const d = new FakeDispatch(ring);
  const parser = new RequestParser();
  parser.push(encodeCommand(['RPUSH', 'q', 'a', 'index=1']));
  parser.next();
  plain.route(parser, d);
  assert.equal((only(d) as { bytes: string }).bytes, resp('RPUSH', 'q', 'a', 'index=1'));
  const e = new FakeDispatch(ring);
  const q = new RequestParser();
  q.push(encodeCommand(['SET', 'k', 'traceparent=my value']));
  q.next();
  assert.equal(plain.route(q, e), undefined);
  assert.equal((only(e) as { bytes: string }).bytes, resp('SET', 'k', 'traceparent=my value'));
});

test('stripOptions leaves requests without options alone and takes each option at most once', () => {
  const p = new RequestParser();
  p.push(encodeCommand(['SET', 'k', 'v']));
  p.next();
  assert.equal(stripOptions(p, defaultPrefixes), undefined);
  const q = new RequestParser();
  q.push(encodeCommand(['SET', 'hash=a', 'hash=b']));
  q.next();
  const o = stripOptions(q, defaultPrefixes);
  assert.equal(o?.hashKey, 'b');
  assert.deepEqual(o?.request.argStrings(), ['SET', 'hash=a']);
  const r = new RequestParser();
  r.push(encodeCommand(['GET', 'k', 'index=x']));
  r.next();
  assert.equal(stripOptions(r, prefixes), undefined, 'a non-integer index= is an ordinary argument');
});

test('compileOptionTest is true only when the last argument may be an option', () => {
  const has = compileOptionTest(prefixes);
  const view = (...args: string[]) => {
    const p = new RequestParser();
    p.push(encodeCommand(args));
    p.next();
    return p;
  };
  assert.equal(has(view('GET', 'k')), false);
  assert.equal(has(view('GET', 'hash=x')), true);
  assert.equal(has(view('GET', 'index=1')), true);
  assert.equal(has(view('GET', 'traceparent=1')), true);
  assert.equal(has(view('GET', 'h')), false);
  assert.equal(has(view('hash=x')), false, 'the command name is never an option');
  const custom = compileOptionTest({ hash: '@', index: '', traceparent: '' });
  assert.equal(custom(view('GET', '@k')), true);
  assert.equal(custom(view('GET', 'index=1')), false);
});

test('{user1}.a and {user1}.b go to the node of user1 with hash tags on', () => {
  // Without tags these two keys live on different nodes, so the test shows the tag at work.
  assert.notEqual(owner('{user1}.a'), owner('{user1}.b'));
  const nodes = ['{user1}.a', '{user1}.b'].map((k) => (only(route(['GET', k]).d) as { node: number }).node);
  assert.deepEqual(nodes, [owner('user1'), owner('user1')]);
});

test('with hash tags off, {user1}.a and {user1}.b hash by their whole key', () => {
  const nodes = ['{user1}.a', '{user1}.b'].map((k) => (only(route(['GET', k], false).d) as { node: number }).node);
  assert.deepEqual(nodes, [owner('{user1}.a'), owner('{user1}.b')]);
});

test('hash tag rules: first { to the next }, an empty {} or a missing } hashes the whole key', () => {
  const cases: [string, string][] = [
    ['{user1}.a', 'user1'],
    ['x{user1}y{z}', 'user1'],
    ['{}{user1}', '{}{user1}'],
    ['{user1', '{user1'],
    ['}{user1}', 'user1'],
    ['{{user1}}', '{user1'],
  ];
  for (const [key, hashed] of cases) {
    assert.equal(ownerOfKeyString(ring, key, true), owner(hashed), key);
    const bytes = b(`..${key}..`);
    assert.equal(ownerOfKey(ring, bytes, 2, bytes.length - 2, true), owner(hashed), `${key} inside a larger buffer`);
  }
});

// Keys chosen so that MGET kB kA kC kA2 touches nodes 1, 0, 2, 0.
const kA = keyOn(0);
const kA2 = keyOn(0, 1);
const kB = keyOn(1);
const kC = keyOn(2);

test('MGET over several nodes is split per node and the merge puts values back in request order', () => {
  const { parts, merge } = fragmentOf(['MGET', kB, kA, kC, kA2]);
  assert.deepEqual(parts, [
    { node: 1, bytes: resp('MGET', kB) },
    { node: 0, bytes: resp('MGET', kA, kA2) },
    { node: 2, bytes: resp('MGET', kC) },
  ]);
  assert.equal(
    merged(merge, ['*1\r\n$2\r\nvB\r\n', '*2\r\n$2\r\nvA\r\n$-1\r\n', '*1\r\n$4\r\nv\r\nC\r\n']),
    '*4\r\n$2\r\nvB\r\n$2\r\nvA\r\n$4\r\nv\r\nC\r\n$-1\r\n',
  );
});

test('MGET merge answers the first error when a node fails', () => {
  const { merge } = fragmentOf(['MGET', kB, kA, kC]);
  assert.equal(merged(merge, ['*1\r\n$1\r\nb\r\n', '-ERR node a:1 unavailable\r\n', '-ERR second\r\n']), '-ERR node a:1 unavailable\r\n');
});

test('MGET with every key on one node is forwarded untouched', () => {
  const c = only(route(['MGET', kA, kA2]).d);
  assert.deepEqual(fwd(c), {
    kind: 'forward',
    node: 0,
    bytes: resp('MGET', kA, kA2),
  });
});

test('MGET with a repeated key returns the value at both places', () => {
  const { parts, merge } = fragmentOf(['MGET', kA, kB, kA]);
  assert.deepEqual(parts, [
    { node: 0, bytes: resp('MGET', kA, kA) },
    { node: 1, bytes: resp('MGET', kB) },
  ]);
  assert.equal(merged(merge, ['*2\r\n:1\r\n:1\r\n', '*1\r\n:2\r\n']), '*3\r\n:1\r\n:2\r\n:1\r\n');
});

test('MGET merge copies long and empty values whole, and refuses a node that sent too few values', () => {
  const { merge } = fragmentOf(['MGET', kB, kA, kC]);
  const long = 'x'.repeat(1000);
  assert.equal(
    merged(merge, [`*1\r\n$1000\r\n${long}\r\n`, '*1\r\n$0\r\n\r\n', '*1\r\n$-1\r\n']),
    `*3\r\n$1000\r\n${long}\r\n$0\r\n\r\n$-1\r\n`,
  );
  assert.equal(merged(merge, ['*1\r\n$1\r\nb\r\n', '*0\r\n', '*1\r\n$-1\r\n']), '-ERR jupiter internal error, the request was not completed\r\n');
});

test('MSET is split by key/value pairs and answers OK only when every node did', () => {
  const { parts, merge } = fragmentOf(['MSET', kB, '1', kA, '2', kC, '3', kA2, '4']);
  assert.deepEqual(parts, [
    { node: 1, bytes: resp('MSET', kB, '1') },
    { node: 0, bytes: resp('MSET', kA, '2', kA2, '4') },
    { node: 2, bytes: resp('MSET', kC, '3') },
  ]);
  assert.equal(merged(merge, ['+OK\r\n', '+OK\r\n', '+OK\r\n']), '+OK\r\n');
  assert.equal(merged(merge, ['+OK\r\n', '-OOM command not allowed\r\n', '+OK\r\n']), '-OOM command not allowed\r\n');
});

test('MSET with an odd number of arguments is the wrong-arity error', () => {
  assert.equal(replyOf(['MSET', kA, '1', kB]), "-ERR wrong number of arguments for 'mset' command\r\n");
});

test('DEL over several nodes sums the per-node counts', () => {
  const { parts, merge } = fragmentOf(['DEL', kC, kA, kB]);
  assert.deepEqual(parts, [
    { node: 2, bytes: resp('DEL', kC) },
    { node: 0, bytes: resp('DEL', kA) },
    { node: 1, bytes: resp('DEL', kB) },
  ]);
  assert.equal(merged(merge, [':1\r\n', ':0\r\n', ':1\r\n']), ':2\r\n');
  assert.equal(merged(merge, [':1\r\n', '-ERR x\r\n', ':1\r\n']), '-ERR x\r\n');
});

test('EXISTS, UNLINK and TOUCH are split and summed like DEL', () => {
  for (const name of ['EXISTS', 'UNLINK', 'TOUCH']) {
    const { parts, merge } = fragmentOf([name, kA, kB]);
    assert.deepEqual(parts.map((p) => p.node), [0, 1]);
    assert.equal(merged(merge, [':1\r\n', ':1\r\n']), ':2\r\n');
  }
});

test('KEYS goes to every node and the merge joins their keys', () => {
  const { parts, merge } = fragmentOf(['KEYS', '*']);
  assert.deepEqual(parts, [0, 1, 2].map((node) => ({ node, bytes: resp('KEYS', '*'), slow: true })));
  assert.equal(
    merged(merge, ['*1\r\n$1\r\na\r\n', '*0\r\n', '*2\r\n$1\r\nb\r\n$1\r\nc\r\n']),
    '*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n',
  );
});

test('DBSIZE goes to every node and the merge sums the sizes', () => {
  const { parts, merge } = fragmentOf(['DBSIZE']);
  assert.deepEqual(parts, [0, 1, 2].map((node) => ({ node, bytes: resp('DBSIZE') })));
  assert.equal(merged(merge, [':1\r\n', ':20\r\n', ':300\r\n']), ':321\r\n');
});

test('FLUSHDB goes to every node and answers OK only when every node did', () => {
  const { parts, merge } = fragmentOf(['FLUSHDB']);
  assert.deepEqual(parts.map((p) => p.node), [0, 1, 2]);
  assert.equal(merged(merge, ['+OK\r\n', '+OK\r\n', '+OK\r\n']), '+OK\r\n');
  assert.equal(merged(merge, ['+OK\r\n', '-ERR no\r\n', '+OK\r\n']), '-ERR no\r\n');
});

const scanReply = (cursor: string, keys: string[]): string =>
  `*2\r\n$${cursor.length}\r\n${cursor}\r\n*${keys.length}\r\n${keys.map((k) => `$${k.length}\r\n${k}\r\n`).join('')}`;

test('SCAN 0 asks node 0 from cursor 0; its final 0 moves the client to node 1', () => {
  const { parts, merge } = fragmentOf(['SCAN', '0']);
  assert.deepEqual(parts, [{ node: 0, bytes: resp('SCAN', '0') }]);
  assert.equal(merged(merge, [scanReply('0', ['a', 'b'])]), scanReply('1', ['a', 'b']));
});

test('SCAN 1 asks node 1 from cursor 0; its final 0 moves the client to node 2', () => {
  const { parts, merge } = fragmentOf(['SCAN', '1']);
  assert.deepEqual(parts, [{ node: 1, bytes: resp('SCAN', '0') }]);
  assert.equal(merged(merge, [scanReply('0', [])]), scanReply('2', []));
});

test('SCAN on the last node ending at 0 ends the whole iteration at 0', () => {
  const { parts, merge } = fragmentOf(['SCAN', '2']);
  assert.deepEqual(parts, [{ node: 2, bytes: resp('SCAN', '0') }]);
  assert.equal(merged(merge, [scanReply('0', ['z'])]), scanReply('0', ['z']));
});

test('a non-zero node cursor c on node i is encoded as c*3+i and decoded back', () => {
  const { merge } = fragmentOf(['SCAN', '1']);
  assert.equal(merged(merge, [scanReply('17', ['k'])]), scanReply(String(17 * 3 + 1), ['k']));
  const next = fragmentOf(['SCAN', String(17 * 3 + 1), 'MATCH', 'k*', 'COUNT', '100']);
  assert.deepEqual(next.parts, [{ node: 1, bytes: resp('SCAN', '17', 'MATCH', 'k*', 'COUNT', '100') }]);
});

test('SCAN cursors beyond 2^53 are encoded without losing precision', () => {
  const c = 18446744073709551615n; // the largest Redis cursor
  const { merge } = fragmentOf(['SCAN', '2']);
  assert.equal(merged(merge, [scanReply(c.toString(), [])]), scanReply((c * 3n + 2n).toString(), []));
  const back = fragmentOf(['SCAN', (c * 3n + 2n).toString()]);
  assert.deepEqual(back.parts, [{ node: 2, bytes: resp('SCAN', c.toString()) }]);
});

test('SCAN with a cursor that is not a number replies ERR invalid cursor', () => {
  assert.equal(replyOf(['SCAN', 'abc']), '-ERR invalid cursor\r\n');
  assert.equal(replyOf(['SCAN', '-1']), '-ERR invalid cursor\r\n');
});

test('SCAN passes a node error through unchanged', () => {
  const { merge } = fragmentOf(['SCAN', '0']);
  assert.equal(merged(merge, ['-ERR node a:1 unavailable\r\n']), '-ERR node a:1 unavailable\r\n');
});

test('an unknown command replies with Redis\'s text, arguments quoted with a trailing space', () => {
  assert.equal(replyOf(['FOO', 'bar']), "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n");
  assert.equal(replyOf(['foo']), "-ERR unknown command 'foo', with args beginning with: \r\n");
  assert.equal(replyOf(['foo', 'a\r\nb', 'c']), "-ERR unknown command 'foo', with args beginning with: 'a  b' 'c' \r\n");
});

test('an unknown command quotes at most 128 characters of one long argument', () => {
  const long = 'x'.repeat(200);
  assert.equal(replyOf(['FOO', long, 'next']), `-ERR unknown command 'FOO', with args beginning with: '${'x'.repeat(128)}' \r\n`);
});

test('an unknown command lists arguments until the list reaches 128 characters, like Redis', () => {
  // Redis: for (i=1; i < argc && sdslen(args) < 128; i++) args += "'%.*s' " -> 32 one-letter args (4 chars each).
  const args = Array.from({ length: 40 }, (_, i) => String.fromCharCode(97 + (i % 26)));
  const list = args.slice(0, 32).map((a) => `'${a}' `).join('');
  assert.equal(replyOf(['FOO', ...args]), `-ERR unknown command 'FOO', with args beginning with: ${list}\r\n`);
});

test('wrong arity replies with the lower-case command name, subcommands as parent|sub', () => {
  assert.equal(replyOf(['GET']), "-ERR wrong number of arguments for 'get' command\r\n");
  assert.equal(replyOf(['get', 'a', 'b']), "-ERR wrong number of arguments for 'get' command\r\n");
  assert.equal(replyOf(['CONFIG', 'GET']), "-ERR wrong number of arguments for 'config|get' command\r\n");
  assert.equal(replyOf(['CONFIG']), "-ERR wrong number of arguments for 'config' command\r\n");
});

test('an unknown subcommand replies with Redis\'s text', () => {
  assert.equal(replyOf(['CONFIG', 'FOO']), "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n");
  assert.equal(replyOf(['client', 'nope']), "-ERR unknown subcommand 'nope'. Try CLIENT HELP.\r\n");
});

test('RENAME across two nodes is CROSSSLOT; with a shared hash tag it is forwarded', () => {
  assert.equal(replyOf(['RENAME', kA, kB]), "-CROSSSLOT Keys in request don't hash to the same node (use hash=KEY)\r\n");
  const c = only(route(['RENAME', '{t}a', '{t}b']).d);
  assert.deepEqual({ kind: c.kind, node: (c as { node: number }).node }, { kind: 'forward', node: owner('t') });
  const same = only(route(['RENAME', kA, kA2]).d);
  assert.deepEqual({ kind: same.kind, node: (same as { node: number }).node }, { kind: 'forward', node: 0 });
});

test('PING and ECHO are answered locally', () => {
  assert.equal(replyOf(['PING']), '+PONG\r\n');
  assert.equal(replyOf(['ping', 'hi']), '$2\r\nhi\r\n');
  assert.equal(replyOf(['ECHO', 'a\r\nb']), '$4\r\na\r\nb\r\n');
  assert.equal(replyOf(['ECHO']), "-ERR wrong number of arguments for 'echo' command\r\n");
});

test('PING with two arguments is the wrong-arity error, as in Redis', () => {
  // Redis pingCommand: if (c->argc > 2) addReplyErrorArity(c).
  assert.equal(replyOf(['PING', 'a', 'b']), "-ERR wrong number of arguments for 'ping' command\r\n");
});

test('SELECT 0 is OK, other databases are out of range, non-integers are refused', () => {
  assert.equal(replyOf(['SELECT', '0']), '+OK\r\n');
  assert.equal(replyOf(['SELECT', '1']), '-ERR DB index is out of range\r\n');
  assert.equal(replyOf(['SELECT', 'x']), '-ERR value is not an integer or out of range\r\n');
});

test('SELECT stays local even with hash=', () => {
  assert.equal(replyOf(['SELECT', '0', 'hash=x']), '+OK\r\n');
});

test('CLIENT SETNAME/GETNAME/ID/SETINFO are answered locally from the client state', () => {
  const d = new FakeDispatch(ring);
  routeBytes(encodeCommand(['CLIENT', 'SETNAME', 'app1']), d);
  routeBytes(encodeCommand(['CLIENT', 'GETNAME']), d);
  routeBytes(encodeCommand(['CLIENT', 'ID']), d);
  routeBytes(encodeCommand(['CLIENT', 'SETINFO', 'LIB-NAME', 'ioredis']), d);
  routeBytes(encodeCommand(['CLIENT', 'SETNAME', 'has space']), d);
  routeBytes(encodeCommand(['CLIENT', 'INFO']), d);
  assert.deepEqual(
    d.calls.map((c) => (c as { bytes: string }).bytes),
    [
      '+OK\r\n',
      '$4\r\napp1\r\n',
      ':7\r\n',
      '+OK\r\n',
      '-ERR Client names cannot contain spaces, newlines or special characters.\r\n',
      '$15\r\nid=7 name=app1\n\r\n',
    ],
  );
  assert.equal(d.client.name, 'app1');
  assert.ok(d.calls.every((c) => c.kind === 'reply'));
});

test('CLIENT subcommands that need a connection of their own are refused', () => {
  assert.equal(replyOf(['CLIENT', 'PAUSE', '10']), "-ERR 'CLIENT PAUSE' is not supported by jupiter yet\r\n");
});

test('HELLO and HELLO 2 answer the RESP2 server map, HELLO 3 the RESP3 one and switches; HELLO 4 is NOPROTO; a bad version is refused', () => {
  const fields = (proto: number): string =>
    '$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n9.9.9\r\n$5\r\nproto\r\n:' +
    proto +
    '\r\n$2\r\nid\r\n:7\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n';
  assert.equal(replyOf(['HELLO']), `*14\r\n${fields(2)}`);
  assert.equal(replyOf(['HELLO', '2']), `*14\r\n${fields(2)}`);
  const d = new FakeDispatch(ring);
  routeBytes(encodeCommand(['HELLO', '3']), d);
  assert.equal((only(d) as { bytes: string }).bytes, `%7\r\n${fields(3)}`);
  assert.equal(d.client.resp3, true);
  assert.equal(replyOf(['HELLO', '4']), '-NOPROTO unsupported protocol version\r\n');
  assert.equal(replyOf(['HELLO', 'x']), '-ERR Protocol version is not an integer or out of range\r\n');
  assert.equal(replyOf(['HELLO', '2', 'AUTH', 'bob', 'pw']), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  assert.equal(replyOf(['HELLO', '2', 'FOO']), "-ERR Syntax error in HELLO option 'FOO'\r\n"); // Redis's wording
});

test('HELLO 2 SETNAME names the client', () => {
  const d = new FakeDispatch(ring);
  routeBytes(encodeCommand(['HELLO', '2', 'SETNAME', 'n1']), d);
  assert.equal(d.client.name, 'n1');
  assert.equal(only(d).kind, 'reply');
});

test("CLIENT LIST lists this proxy's clients; CLIENT KILL closes them by ID or address, not itself unless told", () => {
  const d = new FakeDispatch(ring);
  routeBytes(encodeCommand(['CLIENT', 'LIST']), d);
  assert.equal((only(d) as { bytes: string }).bytes, '$22\r\nid=7 name=\nid=8 name=\n\r\n');
  const k = new FakeDispatch(ring);
  routeBytes(encodeCommand(['CLIENT', 'KILL', 'ID', '8']), k);
  assert.equal((only(k) as { bytes: string }).bytes, ':1\r\n');
  assert.equal(k.other.killed, 1);
  const addr = new FakeDispatch(ring);
  routeBytes(encodeCommand(['CLIENT', 'KILL', 'ADDR', '127.0.0.1:5555']), addr);
  assert.equal((only(addr) as { bytes: string }).bytes, ':1\r\n', 'itself skipped (SKIPME yes)');
  assert.deepEqual([addr.client.killed, addr.other.killed], [0, 1]);
  assert.equal(replyOf(['CLIENT', 'KILL', '10.0.0.1:1']), '-ERR No such client\r\n');
});

test('QUIT replies OK and asks the connection to close after the reply', () => {
  const { d } = route(['QUIT']);
  assert.deepEqual(d.calls.map((c) => (c as { bytes: string }).bytes), ['+OK\r\n']);
  assert.equal(d.client.closed, 1);
});

test("SUBSCRIBE and PSUBSCRIBE subscribe here; then only Pub/Sub commands, PING, QUIT and RESET run, in Redis's words", () => {
  assert.deepEqual(session(['SUBSCRIBE', 'a', 'b'], ['PSUBSCRIBE', 'n*'], ['GET', 'k'], ['PING'], ['PING', 'hi'], ['PUBLISH', 'a', 'x']), [
    { kind: 'listen', what: 'channel', names: ['a', 'b'] },
    { kind: 'listen', what: 'pattern', names: ['n*'] },
    { kind: 'reply', bytes: "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" },
    { kind: 'reply', bytes: '*2\r\n$4\r\npong\r\n$0\r\n\r\n' },
    { kind: 'reply', bytes: '*2\r\n$4\r\npong\r\n$2\r\nhi\r\n' },
    { kind: 'reply', bytes: "-ERR Can't execute 'publish': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" },
  ]);
});

test('PUBLISH and SPUBLISH go to the node of their channel', () => {
  assert.equal((only(route(['PUBLISH', kB, 'x']).d) as { node: number }).node, 1);
  assert.equal((only(route(['SPUBLISH', kB, 'x']).d) as { node: number }).node, 1);
});

test('XREAD goes to the node of its streams; XREAD BLOCK goes over a lease there, blocking as long as it asks', () => {
  const c = only(route(['XREAD', 'COUNT', '1', 'STREAMS', kB, '0']).d);
  assert.deepEqual({ kind: c.kind, node: (c as { node: number }).node }, { kind: 'forward', node: 1 });
  const { d } = route(['XREAD', 'BLOCK', '1500', 'STREAMS', kB, '0']);
  assert.deepEqual(d.calls, [
    { kind: 'lease', member: ring.members[1].id, bytes: resp('XREAD', 'BLOCK', '1500', 'STREAMS', kB, '0'), silent: false, waitMs: 1500 },
    { kind: 'endLease', clean: true },
  ]);
});

/** Routes each request in turn on one client, and returns the calls. */
function session(...requests: string[][]): Call[] {
  const d = new FakeDispatch(ring);
  for (const args of requests) routeBytes(encodeCommand(args), d);
  return d.calls;
}

test('MULTI is answered at once; commands before the first keyed one are queued here and sent after MULTI once it pins the node', () => {
  const member = ring.members[owner(kA)].id;
  assert.deepEqual(session(['MULTI'], ['PING'], ['SET', kA, 'v'], ['EXEC']), [
    { kind: 'reply', bytes: '+OK\r\n' },
    { kind: 'reply', bytes: '+QUEUED\r\n' },
    { kind: 'lease', member, bytes: resp('MULTI'), silent: true, waitMs: 0 },
    { kind: 'lease', member, bytes: resp('PING'), silent: true, waitMs: 0 },
    { kind: 'lease', member, bytes: resp('SET', kA, 'v'), silent: false, waitMs: 0 },
    { kind: 'lease', member, bytes: resp('EXEC'), silent: false, waitMs: 0 },
    { kind: 'endLease', clean: true },
  ]);
});

test('a command for another node inside MULTI gets CROSSSLOT, and EXEC discards the transaction with EXECABORT', () => {
  const member = ring.members[owner(kA)].id;
  const calls = session(['MULTI'], ['SET', kA, 'v'], ['SET', kB, 'v'], ['INCR', kA], ['EXEC']);
  assert.deepEqual(calls.slice(3), [
    { kind: 'reply', bytes: "-CROSSSLOT Keys in request don't hash to the same node (use hash=KEY)\r\n" },
    { kind: 'reply', bytes: '+QUEUED\r\n' },
    { kind: 'reply', bytes: '-EXECABORT Transaction discarded because of previous errors.\r\n' },
    { kind: 'lease', member, bytes: resp('DISCARD'), silent: true, waitMs: 0 },
    { kind: 'endLease', clean: true },
  ]);
});

test('MULTI hash=KEY pins the transaction, so keys of other nodes run there with it', () => {
  const member = ring.members[owner('x')].id;
  assert.deepEqual(session(['MULTI', 'hash=x'], ['SET', kB, 'v', 'hash=x'], ['EXEC']), [
    { kind: 'reply', bytes: '+OK\r\n' },
    { kind: 'lease', member, bytes: resp('MULTI'), silent: true, waitMs: 0 },
    { kind: 'lease', member, bytes: resp('SET', kB, 'v'), silent: false, waitMs: 0 },
    { kind: 'lease', member, bytes: resp('EXEC'), silent: false, waitMs: 0 },
    { kind: 'endLease', clean: true },
  ]);
});

test("empty MULTI/EXEC is answered here; DISCARD, nested MULTI, EXEC and DISCARD without MULTI take Redis's words", () => {
  assert.deepEqual(session(['MULTI'], ['MULTI'], ['EXEC'], ['EXEC'], ['DISCARD']).map((c) => (c as { bytes: string }).bytes), [
    '+OK\r\n',
    '-ERR MULTI calls can not be nested\r\n',
    '*0\r\n',
    '-ERR EXEC without MULTI\r\n',
    '-ERR DISCARD without MULTI\r\n',
  ]);
});

test("connection commands and jupiter's own cannot be queued: refused, and EXEC aborts", () => {
  const replies = session(['MULTI'], ['SELECT', '0'], ['JUPITER', 'NODES'], ['EXEC']).map((c) => (c as { bytes: string }).bytes);
  assert.deepEqual(replies, [
    '+OK\r\n',
    "-ERR 'SELECT' cannot be queued in a transaction through jupiter\r\n",
    "-ERR 'JUPITER NODES' cannot be queued in a transaction through jupiter\r\n",
    '-EXECABORT Transaction discarded because of previous errors.\r\n',
  ]);
});

test('WATCH pins like MULTI: keys of two nodes get CROSSSLOT; the watched node runs the transaction', () => {
  assert.equal(only(route(['WATCH', kA, kB]).d).kind, 'reply');
  const member = ring.members[owner(kA)].id;
  assert.deepEqual(session(['WATCH', kA], ['MULTI'], ['WATCH', kA], ['INCR', kA], ['EXEC']), [
    { kind: 'lease', member, bytes: resp('WATCH', kA), silent: false, waitMs: 0 },
    { kind: 'reply', bytes: '+OK\r\n' },
    { kind: 'reply', bytes: '-ERR WATCH inside MULTI is not allowed\r\n' },
    { kind: 'lease', member, bytes: resp('MULTI'), silent: true, waitMs: 0 },
    { kind: 'lease', member, bytes: resp('INCR', kA), silent: false, waitMs: 0 },
    { kind: 'lease', member, bytes: resp('EXEC'), silent: false, waitMs: 0 },
    { kind: 'endLease', clean: true },
  ]);
});

test('blocking commands go over a lease with the time they may block; BLPOP 0 blocks for good, WAIT needs hash=', () => {
  const member = ring.members[owner(kA)].id;
  assert.deepEqual(session(['BLPOP', kA, '0'], ['BRPOP', kA, '2.5']), [
    { kind: 'lease', member, bytes: resp('BLPOP', kA, '0'), silent: false, waitMs: Infinity },
    { kind: 'endLease', clean: true },
    { kind: 'lease', member, bytes: resp('BRPOP', kA, '2.5'), silent: false, waitMs: 2500 },
    { kind: 'endLease', clean: true },
  ]);
  assert.equal(replyOf(['BLPOP', kA, kB, '0']), "-CROSSSLOT Keys in request don't hash to the same node (use hash=KEY)\r\n");
  assert.equal(replyOf(['WAIT', '1', '100']), "-ERR 'WAIT' has no key to route by; add hash=KEY to send it to one node\r\n");
  assert.deepEqual(route(['WAIT', '1', '100', 'hash=x']).d.calls[0], { kind: 'lease', member: ring.members[owner('x')].id, bytes: resp('WAIT', '1', '100'), silent: false, waitMs: 100 });
});

test('inside MULTI a blocking command is queued like any other', () => {
  const member = ring.members[owner(kA)].id;
  assert.deepEqual(session(['MULTI'], ['BLPOP', kA, '0']).slice(1), [
    { kind: 'lease', member, bytes: resp('MULTI'), silent: true, waitMs: 0 },
    { kind: 'lease', member, bytes: resp('BLPOP', kA, '0'), silent: false, waitMs: 0 },
  ]);
});

test('keyless commands without a cluster meaning ask for hash=, and go to that node with it', () => {
  assert.equal(replyOf(['SAVE']), "-ERR 'SAVE' has no key to route by; add hash=KEY to send it to one node\r\n");
  // As the client typed it, subcommand included.
  assert.equal(replyOf(['config', 'rewrite']), "-ERR 'config rewrite' has no key to route by; add hash=KEY to send it to one node\r\n");
  const c = only(route(['SAVE', 'hash=x']).d);
  assert.deepEqual(fwd(c), {
    kind: 'forward',
    node: owner('x'),
    bytes: resp('SAVE'),
  });
});

test("CONFIG GET asks the first node, then puts in jupiter's own parameters that match, in the client's protocol", () => {
  const c = only(route(['CONFIG', 'GET', 'max*']).d);
  assert.equal(c.kind, 'fragment');
  const { parts, merge } = c as Extract<Call, { kind: 'fragment' }>;
  assert.deepEqual(parts.map((p) => p.node), [0]);
  const node = b('*4\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n');
  assert.equal(text(merge([node])), '*4\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n');
  // Glob characters that a regular expression would choke on are no error.
  const odd = only(route(['CONFIG', 'GET', '[']).d) as Extract<Call, { kind: 'fragment' }>;
  assert.equal(text(odd.merge([b('*0\r\n')])), '*0\r\n');
});

test('SCRIPT LOAD and CONFIG SET go to every node; a refusal names its node; SCRIPT EXISTS is 1 only where every node has it', () => {
  const load = only(route(['SCRIPT', 'LOAD', 'return 1']).d) as Extract<Call, { kind: 'fragment' }>;
  // Each node: the SCRIPT LOAD, then its record in the membership database.
  assert.equal(load.parts.length, 6);
  assert.equal(load.parts[0].bytes, resp('SCRIPT', 'LOAD', 'return 1'));
  assert.match(load.parts[1].bytes, /jupiter:scripts/);
  const sha = '$40\r\ne0e1f9fabfc9d4800c877a703b823ac0578ff8db\r\n';
  assert.equal(text(load.merge([b(sha), b(':1\r\n'), b(sha), b(':1\r\n'), b(sha), b(':0\r\n')])), sha);
  const set = only(route(['CONFIG', 'SET', 'maxmemory', '1gb']).d) as Extract<Call, { kind: 'fragment' }>;
  assert.equal(set.parts.length, 3);
  assert.equal(
    text(set.merge([b('+OK\r\n'), b('-ERR CONFIG SET failed (possibly related to argument \'maxmemory\') - argument couldn\'t be parsed into an integer\r\n'), b('+OK\r\n')])),
    `-ERR node ${ring.members[1].id}: CONFIG SET failed (possibly related to argument 'maxmemory') - argument couldn't be parsed into an integer\r\n`,
  );
  const exists = only(route(['SCRIPT', 'EXISTS', 'a', 'b']).d) as Extract<Call, { kind: 'fragment' }>;
  assert.equal(text(exists.merge([b('*2\r\n:1\r\n:1\r\n'), b('*2\r\n:1\r\n:0\r\n'), b('*2\r\n:1\r\n:1\r\n')])), '*2\r\n:1\r\n:0\r\n');
});

test('commands known to be slow go over the side link; ordinary ones and small SCAN pages do not', () => {
  const slowOf = (args: string[]): boolean[] => {
    const c = only(route(args).d);
    if (c.kind === 'forward') return [c.slow];
    if (c.kind === 'fragment') return c.parts.map((p) => p.slow === true);
    assert.fail(`${args.join(' ')} was answered locally`);
  };
  assert.deepEqual(slowOf(['KEYS', '*']), [true, true, true]);
  assert.deepEqual(slowOf(['FLUSHALL']), [true, true, true]);
  assert.deepEqual(slowOf(['FLUSHDB', 'ASYNC']), [true, true, true]);
  assert.deepEqual(slowOf(['SCRIPT', 'LOAD', 'return 1', 'hash=k']), [true]);
  assert.deepEqual(slowOf(['FUNCTION', 'LOAD', '#!lua name=x', 'hash=k']), [true]);
  assert.deepEqual(slowOf(['DEBUG', 'SLEEP', '1', 'hash=k']), [true]);
  assert.deepEqual(slowOf(['SAVE', 'hash=k']), [true]);
  assert.deepEqual(slowOf(['SCAN', '0', 'COUNT', '100000']), [true]);
  assert.deepEqual(slowOf(['SCAN', '0', 'MATCH', 'k*', 'count', '50000', 'hash=k']), [true]);
  assert.deepEqual(slowOf(['SCAN', '0', 'COUNT', '100']), [false]);
  assert.deepEqual(slowOf(['SCAN', '0']), [false]);
  assert.deepEqual(slowOf(['GET', 'k']), [false]);
  assert.deepEqual(slowOf(['DBSIZE']), [false, false, false]);
  assert.deepEqual(slowOf(['MGET', keyOn(0), keyOn(1)]), [false, false]);
});

test('EVAL, EVALSHA and FCALL with no keys ask for hash= instead of running on a random node; with hash= they go to its node', () => {
  for (const args of [
    ['EVAL', "return redis.call('SET', 'x', 1)", '0'],
    ['EVAL_RO', 'return 1', '0'],
    ['EVALSHA', 'a'.repeat(40), '0'],
    ['FCALL', 'myfunc', '0'],
  ]) {
    assert.equal(replyOf(args), `-ERR '${args[0]}' has no key to route by; add hash=KEY to send it to one node\r\n`);
  }
  const k = keyOn(2);
  assert.deepEqual(fwd(only(route(['EVAL', 'return 1', '0', `hash=${k}`]).d)), { kind: 'forward', node: 2, bytes: resp('EVAL', 'return 1', '0') });
  assert.deepEqual(fwd(only(route(['EVAL', 'return 1', '1', k]).d)), { kind: 'forward', node: 2, bytes: resp('EVAL', 'return 1', '1', k) });
});

test('JUPITER NODES, STATUS and the changes ask the MembershipActor; JUPITER commands obey admin.enabled and admin.password', () => {
  const ask = (args: string[], d = new FakeDispatch(ring)) => only(routeBytes(encodeCommand(args), d).d);
  assert.deepEqual(ask(['JUPITER', 'NODES']), { kind: 'ask', query: { op: 'nodes' } });
  assert.deepEqual(ask(['jupiter', 'status']), { kind: 'ask', query: { op: 'status' } });
  assert.deepEqual(ask(['JUPITER', 'STATUS', 'hash=k']), { kind: 'ask', query: { op: 'status' } }, 'hash= does not send it to a node');
  const change = (...args: string[]) => (ask(['JUPITER', ...args]) as { query: { change: unknown } }).query.change;
  assert.deepEqual(change('ADDNODE', '127.0.0.1:7009'), { op: 'add', id: '127.0.0.1:7009', address: '127.0.0.1:7009', weight: 1 });
  assert.deepEqual(change('addnode', 'cache-4=10.0.0.4:6379', '2.5'), { op: 'add', id: 'cache-4', address: '10.0.0.4:6379', weight: 2.5 });
  assert.deepEqual(change('REMOVENODE', 'cache-4'), { op: 'remove', node: 'cache-4' });
  assert.deepEqual(change('SETWEIGHT', '10.0.0.1:6379', '3'), { op: 'weight', node: '10.0.0.1:6379', weight: 3 });
  assert.deepEqual(change('REPLACENODE', 'cache-4', '10.0.0.9:6379'), { op: 'replace', node: 'cache-4', address: '10.0.0.9:6379' });
  assert.equal(replyOf(['JUPITER', 'ADDNODE', 'nowhere']), "-ERR 'nowhere' is not [<name>=]<host:port>\r\n");
  assert.equal(replyOf(['JUPITER', 'ADDNODE', '127.0.0.1:7009', '0']), "-ERR weight '0' is not a number above 0 and at most 100\r\n");
  assert.equal(replyOf(['JUPITER', 'SETWEIGHT', 'a', 'x']), "-ERR weight 'x' is not a number above 0 and at most 100\r\n");
  assert.equal(replyOf(['JUPITER', 'REPLACENODE', 'a', 'b']), "-ERR 'b' is not <host:port>\r\n");
  assert.equal(replyOf(['JUPITER', 'NODES', 'extra']), "-ERR wrong number of arguments for 'jupiter|nodes' command\r\n");
  assert.equal(replyOf(['JUPITER', 'FOO']), "-ERR unknown subcommand 'FOO'. Try JUPITER HELP.\r\n");

  const off = new FakeDispatch(ring);
  off.proxy = { ...off.proxy, admin: { enabled: false } };
  assert.equal(
    (ask(['JUPITER', 'NODES'], off) as { bytes: string }).bytes,
    '-ERR JUPITER admin commands are switched off on this proxy (admin.enabled: false)\r\n',
  );

  const locked = new FakeDispatch(ring);
  locked.proxy = { ...locked.proxy, admin: { enabled: true, password: 's3cret' } };
  const onLocked = (args: string[]) => {
    locked.calls.length = 0;
    return only(routeBytes(encodeCommand(args), locked).d);
  };
  assert.equal((onLocked(['JUPITER', 'NODES']) as { bytes: string }).bytes, '-NOAUTH JUPITER admin commands need JUPITER AUTH <admin.password> on this connection first\r\n');
  assert.equal((onLocked(['JUPITER', 'AUTH', 'wrong']) as { bytes: string }).bytes, '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  assert.equal(locked.client.admin, false);
  assert.equal((onLocked(['JUPITER', 'AUTH', 's3cret']) as { bytes: string }).bytes, '+OK\r\n');
  assert.deepEqual(onLocked(['JUPITER', 'NODES']), { kind: 'ask', query: { op: 'nodes' } });
  assert.equal((ask(['JUPITER', 'AUTH', 'any']) as { bytes: string }).bytes, '-WRONGPASS invalid username-password pair or user is disabled.\r\n', 'no password set: nothing to pass');
});

test("an application's JUPITER subcommand goes to its actor, behind the admin password; unregistered, it is unknown", () => {
  const d = new FakeDispatch(ring);
  const undo = d.proxy.extensions.addCommand('prefixes', 42, () => false);
  assert.deepEqual(only(routeBytes(encodeCommand(['JUPITER', 'Prefixes', 'user:', 'x']), d).d), { kind: 'extension', actor: 42, name: 'PREFIXES', args: ['user:', 'x'] });
  assert.throws(() => d.proxy.extensions.addCommand('PREFIXES', 43, () => false), /JUPITER PREFIXES exists already/);
  assert.throws(() => d.proxy.extensions.addCommand('nodes', 43, (n) => n === 'nodes'), /JUPITER NODES exists already/);
  const locked = new FakeDispatch(ring);
  locked.proxy = { ...locked.proxy, admin: { enabled: true, password: 's3cret' } };
  locked.proxy.extensions.addCommand('prefixes', 42, () => false);
  assert.equal((only(routeBytes(encodeCommand(['JUPITER', 'PREFIXES']), locked).d) as { bytes: string }).bytes.slice(0, 8), '-NOAUTH ');
  undo();
  const after = new FakeDispatch(ring);
  after.proxy = { ...after.proxy, extensions: d.proxy.extensions };
  assert.equal((only(routeBytes(encodeCommand(['JUPITER', 'PREFIXES']), after).d) as { bytes: string }).bytes, "-ERR unknown subcommand 'PREFIXES'. Try JUPITER HELP.\r\n");
});

test('BLOB.* commands are checked and copied out of the request for the BlobActor, even with hash=', () => {
  const blob = (args: string[]) => only(route(args).d);
  const put = blob(['BLOB.PUT', 'f', 'data']) as { kind: 'blob'; request: { op: string; name: string; data: Buffer } };
  assert.equal(put.kind, 'blob');
  assert.deepEqual({ ...put.request, data: put.request.data.toString() }, { op: 'put', name: 'f', data: 'data' });
  assert.deepEqual(blob(['blob.put', 'f', 'd', 'ttl', '60']), { kind: 'blob', request: { op: 'put', name: 'f', data: Buffer.from('d'), ttlSeconds: 60 } });
  assert.deepEqual(blob(['BLOB.GET', 'f', 'hash=x']), { kind: 'blob', request: { op: 'get', name: 'f' } });
  assert.deepEqual(blob(['BLOB.GETRANGE', 'f', '-10', '-1']), { kind: 'blob', request: { op: 'getrange', name: 'f', start: -10, end: -1 } });
  assert.deepEqual(blob(['BLOB.STAT', 'f']), { kind: 'blob', request: { op: 'stat', name: 'f' } });
  assert.deepEqual(blob(['BLOB.DEL', 'f']), { kind: 'blob', request: { op: 'del', name: 'f' } });
  assert.deepEqual(blob(['BLOB.LIST']), { kind: 'blob', request: { op: 'list', prefix: '' } });
  assert.deepEqual(blob(['BLOB.LIST', 'dir/']), { kind: 'blob', request: { op: 'list', prefix: 'dir/' } });
  assert.equal(replyOf(['BLOB.PUT', 'f', 'd', 'TTL', '0']), '-ERR value is not an integer or out of range\r\n');
  assert.equal(replyOf(['BLOB.PUT', 'f', 'd', 'EX', '5']), '-ERR syntax error\r\n');
  assert.equal(replyOf(['BLOB.GETRANGE', 'f', 'a', '1']), '-ERR value is not an integer or out of range\r\n');
  assert.equal(replyOf(['BLOB.GET']), "-ERR wrong number of arguments for 'blob.get' command\r\n");
});

// The placement index: hash=/index= writes that may create keys record them on their node first.
const indexing = new Router({ prefixes, placementDatabase: 15 });
function routeIndexed(args: string[]): Call {
  const parser = new RequestParser();
  parser.push(encodeCommand(args));
  assert.equal(parser.next(), true);
  const d = new FakeDispatch(ring);
  indexing.route(parser, d);
  return only(d);
}

test('a hash= write records its keys in the placement index of the same node, in the same pipeline, and answers the write', () => {
  const c = routeIndexed(['MSET', 'key1', 'val1', 'key2', 'val2', 'hash=somekey']);
  assert.equal(c.kind, 'fragment');
  if (c.kind !== 'fragment') return;
  assert.deepEqual(c.parts.map((p) => p.node), [owner('somekey'), owner('somekey')]);
  const index = c.parts[0].bytes.split('\r\n');
  assert.equal(index[2], 'EVAL');
  assert.deepEqual(index.slice(5).filter((_, i) => i % 2 === 1), ['0', '15', 'jupiter:placed', 'key1', 'somekey', 'key2', 'somekey']);
  assert.equal(c.parts[1].bytes, text(encodeCommand(['MSET', 'key1', 'val1', 'key2', 'val2'])));
  assert.equal(text(c.merge([b(':2\r\n'), b('+OK\r\n')])), '+OK\r\n');
  assert.equal(text(c.merge([b('-ERR scripts are off\r\n'), b('+OK\r\n')])), '+OK\r\n', 'a failed index write does not fail the write');
});

test('reads, deletes and keys that hash like their hash key are forwarded without an index write', () => {
  for (const args of [
    ['GET', 'hello', 'hash=somekey'],
    ['DEL', 'hello', 'hash=somekey'],
    ['EXPIRE', 'hello', '10', 'hash=somekey'],
    ['SET', '{user}:a', 'v', 'hash={user}:b'],
    ['SET', 'hello', 'v', 'index=1'],
  ]) {
    assert.equal(routeIndexed(args).kind, 'forward', args.join(' '));
  }
  const c = routeIndexed(['SET', 'hello', 'v', 'hash=somekey']);
  assert.equal(c.kind, 'fragment');
  const viaIndex = routeIndexed(['LPUSH', 'list', 'somekey', 'index=2']);
  assert.equal(viaIndex.kind, 'fragment');
});

test('FLUSHALL is sent to every node as FLUSHDB, keeping the nodes\' other databases', () => {
  const c = only(route(['FLUSHALL', 'ASYNC']).d);
  assert.equal(c.kind, 'fragment');
  if (c.kind !== 'fragment') return;
  assert.deepEqual(c.parts.map((p) => p.bytes), [0, 1, 2].map(() => text(encodeCommand(['FLUSHDB', 'ASYNC']))));
});

test('the front door: NOAUTH before AUTH, WRONGPASS for a bad password, then users are held to their command lists and everyone to the deny-list', () => {
  const access = new Access({
    requirepass: 'door',
    users: [
      { name: 'reader', password: `sha256:${createHash('sha256').update('r-pass').digest('hex')}`, commands: { allow: ['GET', 'MGET', 'CONFIG GET'], deny: [] }, admin: false },
      { name: 'ops', password: 'o-pass', commands: { deny: ['KEYS'] }, admin: true },
    ],
    deny: ['FLUSHALL', 'CONFIG SET'],
  });
  const d = new FakeDispatch(ring);
  d.proxy = { ...d.proxy, access };
  d.client.access = access;
  d.client.authenticate(null);
  const send = (...args: string[]): Call => {
    d.calls.length = 0;
    return only(routeBytes(encodeCommand(args), d).d);
  };
  const said = (...args: string[]): string => (send(...args) as { bytes: string }).bytes;
  assert.equal(said('GET', 'k'), '-NOAUTH Authentication required.\r\n');
  assert.equal(said('NOSUCH', 'k'), "-ERR unknown command 'NOSUCH', with args beginning with: 'k' \r\n", 'an unknown command is named first, as Redis does');
  assert.equal(said('HELLO', '3'), '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n');
  assert.equal(said('AUTH', 'wrong'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  assert.equal(said('AUTH', 'nobody', 'door'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  assert.equal(d.client.authenticated, false);
  assert.equal(said('AUTH', 'door'), '+OK\r\n');
  assert.equal(d.client.user?.name, 'default');
  assert.equal(send('GET', 'k').kind, 'forward');
  assert.equal(said('FLUSHALL'), "-ERR command 'FLUSHALL' is disabled on this proxy\r\n");
  assert.equal(said('config', 'set', 'maxmemory', '1'), "-ERR command 'CONFIG SET' is disabled on this proxy\r\n");

  assert.equal(said('AUTH', 'reader', 'r-pass'), '+OK\r\n', 'a password stored as sha256: matches the password it digests');
  assert.equal(send('GET', 'k').kind, 'forward');
  assert.equal(said('SET', 'k', 'v'), "-NOPERM this user has no permissions to run the 'set' command\r\n");
  assert.equal(said('CONFIG', 'RESETSTAT'), "-NOPERM this user has no permissions to run the 'config|resetstat' command\r\n");
  assert.equal(d.client.admin, false);

  assert.equal(said('HELLO', '2', 'AUTH', 'ops', 'o-pass'), '*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n9.9.9\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:7\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n');
  assert.equal(d.client.admin, true, 'an admin user may run JUPITER commands');
  assert.equal(said('KEYS', '*'), "-NOPERM this user has no permissions to run the 'keys' command\r\n");
  assert.equal(send('SET', 'k', 'v').kind, 'forward');
  d.calls.length = 0;
  routeBytes(encodeCommand(['RESET']), d);
  assert.deepEqual(d.calls.map((c) => c.kind), ['endLease', 'reply']);
  assert.equal(said('GET', 'k'), '-NOAUTH Authentication required.\r\n', 'RESET signs the client out');
});

test('without any password, AUTH answers as Redis does for its passwordless default user', () => {
  assert.equal(replyOf(['AUTH', 'x']), '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n');
  assert.equal(replyOf(['AUTH', 'default', 'x']), '+OK\r\n');
  assert.equal(replyOf(['AUTH', 'someone', 'x']), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
});

test('a password with characters beyond ASCII matches the configured one: the client sends its UTF-8 bytes', () => {
  const access = new Access({ requirepass: 'pässwörd', users: [], deny: [] });
  const d = new FakeDispatch(ring);
  d.proxy = { ...d.proxy, access, admin: { enabled: true, password: 'sésame' } };
  d.client.access = access;
  d.client.authenticate(null);
  const said = (...args: (string | Buffer)[]): string => {
    d.calls.length = 0;
    return (only(routeBytes(encodeCommand(args), d).d) as { bytes: string }).bytes;
  };
  assert.equal(said('AUTH', Buffer.from('passwort')), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  assert.equal(said('AUTH', Buffer.from('pässwörd', 'utf8')), '+OK\r\n');
  assert.equal(said('JUPITER', 'AUTH', Buffer.from('sésame', 'utf8')), '+OK\r\n');
  assert.equal(d.client.admin, true);
});

test('requests count by command, a subcommand as itself, and an unknown command as unknown', () => {
  const counting = new Router({ prefixes });
  const calls = (name: string): number => counting.counts.calls[commandNames.indexOf(name)];
  const send = (args: string[]): FakeDispatch => {
    const d = new FakeDispatch(ring);
    const parser = new RequestParser();
    parser.push(encodeCommand(args));
    assert.equal(parser.next(), true);
    counting.route(parser, d);
    return d;
  };
  send(['GET', 'a']);
  send(['get', 'b']);
  const d = send(['CONFIG', 'GET', 'maxmemory']);
  assert.equal(d.commandId, commandNames.indexOf('config|get'));
  send(['NOSUCHCOMMAND']);
  send(['GET']);
  assert.deepEqual([calls('get'), calls('config|get'), calls('config'), calls('unknown')], [3, 1, 0, 1]);
});
