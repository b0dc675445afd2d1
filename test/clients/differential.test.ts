// Differential test: random sequences of single-key commands (strings, counters, hashes, lists,
// sets, sorted sets, expiry; wrong types and wrong arities included) sent to jupiter over three
// nodes and to one plain redis-server, over raw sockets, in RESP2 and in RESP3. Every reply must
// be byte-identical, except SMEMBERS and HGETALL, whose order depends on each server's hash seed
// and is compared as a set.
//
// Seeded and repeatable: JUPITER_DIFF_SEED=<n> explores another seed, JUPITER_DIFF_RUNS=<n> more
// sequences. A failing seed is printed; add it to REGRESSION_SEEDS so it runs on every build.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { RawConnection, arrayItems, type Arg } from '../helpers/resp.js';
import { CompatRecorder } from '../helpers/compat.js';

/** Seeds that once found a difference; each runs on every build. */
const REGRESSION_SEEDS: readonly number[] = [
  20_261_126, // a split MGET pipelined before a request with more arguments crashed the connection (split.ts read the next request's argc)
];
/** The differences found so far, shrunk to their smallest form; they run first in every seed. */
const KNOWN_CASES: readonly Arg[][][] = [
  [
    ['MGET', 'k1', '{t}a'],
    ['MGET', 'k1', 'k1', 'k1'],
  ],
];
const DEFAULT_SEED = 424_242;
const seed = process.env.JUPITER_DIFF_SEED ? Number(process.env.JUPITER_DIFF_SEED) : DEFAULT_SEED;
const numRuns = process.env.JUPITER_DIFF_RUNS ? Number(process.env.JUPITER_DIFF_RUNS) : 300;

// Few keys, so that commands of different types meet on the same key (WRONGTYPE) and every
// command touches state earlier ones left. {t} keys share a node; the others spread.
const key = fc.constantFrom('k1', 'k2', 'k3', 'k4', '{t}a', '{t}b', 'ü:key');
// The last argument of a command must not look like a routing option (README: option prefixes).
const notAnOption = (b: Buffer | string): boolean => !/^(hash=|index=|traceparent=)/.test(b.toString());
const value: fc.Arbitrary<Arg> = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom('', '0', '1', '-7', '10', '3.5', 'abc', 'hello world', '9223372036854775807') },
    { weight: 3, arbitrary: fc.string({ maxLength: 8 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)) },
  )
  .filter(notAnOption);
// Mostly valid numbers, sometimes not (ERR value is not an integer..., overflow).
const int = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -6, max: 12 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('x', '1.5', '', '9223372036854775807', '-9223372036854775808', '99999999999999999999') },
);
const seconds = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 100, max: 100_000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('0', '-1', 'x', '9223372036854775807') },
);
const score = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 3 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('1.5', '-0.25', 'inf', '-inf', '+inf', 'nan', 'abc', '1e3', '0x10') },
);
const name = (n: string) => fc.mixedCase(fc.constant(n));
const some = <T>(a: fc.Arbitrary<T>, max = 3) => fc.array(a, { minLength: 1, maxLength: max });

const command: fc.Arbitrary<Arg[]> = fc.oneof(
  fc.tuple(name('SET'), key, value).map((c) => [...c]),
  fc
    .tuple(name('SET'), key, value, fc.constantFrom(['EX'], ['NX'], ['XX'], ['GET'], ['KEEPTTL'], ['EX', 'PX']), seconds)
    .map(([n, k, v, opt, s]) => (opt[0] === 'EX' && opt.length === 1 ? [n, k, v, 'EX', s] : [n, k, v, ...opt])),
  fc.tuple(name('GET'), key).map((c) => [...c]),
  fc.tuple(name('APPEND'), key, value).map((c) => [...c]),
  fc.tuple(name('INCRBY'), key, int).map((c) => [...c]),
  fc.tuple(name('GETRANGE'), key, int, int).map((c) => [...c]),
  fc.tuple(name('HSET'), key, some(fc.tuple(value, value))).map(([n, k, pairs]) => [n, k, ...pairs.flat()]),
  fc.tuple(name('HGETALL'), key).map((c) => [...c]),
  fc.tuple(name('LPUSH'), key, some(value)).map(([n, k, vs]) => [n, k, ...vs]),
  fc.tuple(name('LRANGE'), key, int, int).map((c) => [...c]),
  fc.tuple(name('SADD'), key, some(value)).map(([n, k, vs]) => [n, k, ...vs]),
  fc.tuple(name('SMEMBERS'), key).map((c) => [...c]),
  fc.tuple(name('ZADD'), key, some(fc.tuple(score, value))).map(([n, k, pairs]) => [n, k, ...pairs.flat()]),
  fc
    .tuple(name('ZRANGE'), key, int, int, fc.boolean())
    .map(([n, k, a, b, withScores]) => (withScores ? [n, k, a, b, 'WITHSCORES'] : [n, k, a, b])),
  fc
    .tuple(name('EXPIRE'), key, seconds, fc.option(fc.constantFrom('NX', 'XX', 'GT', 'LT')))
    .map(([n, k, s, opt]) => (opt === null ? [n, k, s] : [n, k, s, opt])),
  fc.tuple(name('TTL'), key).map((c) => [...c]),
  fc.tuple(name('TYPE'), key).map((c) => [...c]),
  fc.tuple(name('DEL'), some(key, 4)).map(([n, ks]) => [n, ...ks]),
  fc.tuple(name('EXISTS'), some(key, 4)).map(([n, ks]) => [n, ...ks]),
  fc.tuple(name('MGET'), some(key, 4)).map(([n, ks]) => [n, ...ks]),
  fc.tuple(name('MSET'), some(fc.tuple(key, value))).map(([n, pairs]) => [n, ...pairs.flat()]),
  // Wrong arity (and argument errors): any of these commands with 0 to 4 arbitrary arguments.
  fc
    .tuple(
      fc.constantFrom('SET', 'GET', 'APPEND', 'INCRBY', 'GETRANGE', 'HSET', 'HGETALL', 'LPUSH', 'LRANGE', 'SADD'),
      fc.array(value, { maxLength: 4 }),
    )
    .map(([n, args]) => [n, ...args]),
  fc
    .tuple(
      fc.constantFrom('SMEMBERS', 'ZADD', 'ZRANGE', 'EXPIRE', 'TTL', 'TYPE', 'DEL', 'EXISTS', 'MGET', 'MSET'),
      fc.array(value, { maxLength: 4 }),
    )
    .map(([n, args]) => [n, ...args]),
);

/** Replies whose element order is the server's hash-table order. */
const UNORDERED = new Set(['smembers', 'hgetall']);

function show(reply: Buffer): string {
  return JSON.stringify(reply.toString('latin1'));
}

/** HGETALL's flat field/value list as "field:value" (hex) entries, sorted; SMEMBERS' members (hex) sorted. */
function asSet(commandName: string, reply: Buffer): string[] | undefined {
  const items = arrayItems(reply);
  if (items === undefined) return undefined;
  const hex = items.map((b) => b.toString('hex'));
  if (commandName !== 'hgetall') return hex.sort();
  const pairs: string[] = [];
  for (let i = 0; i < hex.length; i += 2) pairs.push(`${hex[i]}:${hex[i + 1]}`);
  return pairs.sort();
}

function showCommands(commands: Arg[][]): string {
  return commands.map((c) => c.map((a) => JSON.stringify(a.toString('latin1'))).join(' ')).join('\n    ');
}

function firstDifference(commands: Arg[][], viaProxy: Buffer[], direct: Buffer[]): string | undefined {
  for (let i = 0; i < Math.min(viaProxy.length, direct.length); i++) {
    const [p, d] = [viaProxy[i], direct[i]];
    if (p.equals(d)) continue;
    const commandName = commands[i][0].toString().toLowerCase();
    if (UNORDERED.has(commandName) && commands[i].length === 2) {
      const [ps, ds] = [asSet(commandName, p), asSet(commandName, d)];
      if (ps !== undefined && ds !== undefined && JSON.stringify(ps) === JSON.stringify(ds)) continue;
    }
    return `reply ${i} differs\n  commands:\n    ${showCommands(commands.slice(0, i + 1))}\n  jupiter: ${show(p)}\n  redis:   ${show(d)}`;
  }
  return undefined;
}

type Outcome = { replies: Buffer[]; closed: boolean };

function closeDifference(commands: Arg[][], viaProxy: Outcome, direct: Outcome): string | undefined {
  if (viaProxy.replies.length === direct.replies.length && viaProxy.closed === direct.closed) return undefined;
  const told = (o: Outcome) => `${o.replies.length} replies${o.closed ? ', then closed the connection' : ''}`;
  return `jupiter gave ${told(viaProxy)}; redis gave ${told(direct)}\n  commands:\n    ${showCommands(commands)}`;
}

describe('differential: jupiter over three nodes answers byte for byte like one redis-server', () => {
  const redisVersion = execFileSync('redis-server', ['--version']).toString().match(/v=(\S+)/)?.[1] ?? 'unknown';
  const recorder = new CompatRecorder('differential test vs one redis-server', `redis-server ${redisVersion}`, 8);
  let cluster: TestCluster;
  let plain: RedisNode;

  before(async () => {
    [cluster, plain] = await Promise.all([startCluster(3), startRedis()]);
  });

  after(async () => {
    recorder.write();
    await Promise.all([cluster?.stop(), plain?.stop()]);
  });

  const property = (resp3: boolean) =>
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40, size: 'max' }), async (commands) => {
      // A fresh connection to each, both starting empty (FLUSHALL goes to every node through jupiter).
      const [viaProxy, direct] = await Promise.all([RawConnection.connect(cluster.port), RawConnection.connect(plain.port)]);
      try {
        // HELLO's own answers differ by design (server version, client id); what follows must not.
        if (resp3) await Promise.all([viaProxy.call([['HELLO', '3']]), direct.call([['HELLO', '3']])]);
        const [[p], [d]] = await Promise.all([viaProxy.call([['FLUSHALL']]), direct.call([['FLUSHALL']])]);
        assert.equal(p.toString(), '+OK\r\n');
        assert.equal(d.toString(), '+OK\r\n');
        const [a, b] = await Promise.all([viaProxy.callUntilClosed(commands), direct.callUntilClosed(commands)]);
        const difference = firstDifference(commands, a.replies, b.replies) ?? closeDifference(commands, a, b);
        if (difference !== undefined) throw new Error(difference);
      } finally {
        viaProxy.close();
        direct.close();
      }
    });

  const runSeed = async (s: number, runs: number, resp3 = false): Promise<void> => {
    const examples = KNOWN_CASES.map((commands): [Arg[][]] => [commands]);
    const details = await fc.check(property(resp3), { seed: s, numRuns: runs, examples });
    if (details.failed) {
      const message =
        `seed ${s} found a difference between jupiter and redis-server ` +
        `(add ${s} to REGRESSION_SEEDS in test/clients/differential.test.ts; replay with JUPITER_DIFF_SEED=${s}):\n` +
        `${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`;
      console.error(message);
      assert.fail(message);
    }
  };

  recorder.it(`${numRuns} random command sequences (seed ${seed}) get byte-identical replies`, () => runSeed(seed, numRuns));
  recorder.it(`${numRuns} random command sequences in RESP3 (HELLO 3, seed ${seed}) get byte-identical replies`, () => runSeed(seed, numRuns, true));
  for (const s of REGRESSION_SEEDS) {
    recorder.it(`regression seed ${s} gets byte-identical replies`, () => runSeed(s, 100));
  }
});
