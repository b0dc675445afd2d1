// Commands that act on the whole cluster: sent to every node and merged into one answer, the
// answer one Redis holding all the nodes' state would give. Scripts and functions are loaded on
// every node (so EVALSHA and FCALL find them wherever their keys live), CONFIG SET sets every
// node, SLOWLOG and LATENCY gather every node's entries; what only describes one node's code
// (FUNCTION LIST, DUMP, STATS) is asked of one.
import { createHash } from 'node:crypto';
import { decodeReply, type Reply } from '../../protocol/decode.js';
import { array, bulk, encodeCommand, integer, map, verbatim } from '../../protocol/encode.js';
import { nodeRefused } from '../../protocol/errors.js';
import { arrayElements, firstError, sumIntegers } from '../merge.js';
import { globMatcher } from '../glob.js';
import type { Dispatch, Merge, Shape } from '../dispatch.js';
import { anyNode } from './keyed.js';
import { toEveryNode } from './fanout.js';
import { SCRIPTS_KEY } from '../../handoff/scripts.js';

/**
 * Every node's answer must agree: the first error, naming the node that gave it, else the first
 * answer (the same SHA from every SCRIPT LOAD, +OK from every CONFIG SET).
 */
function agreed(d: Dispatch): Merge {
  const ids = d.ring.members.map((m) => m.id);
  return (replies) => {
    const i = replies.findIndex((r) => r[0] === 45 || r[0] === 33);
    return i < 0 ? replies[0] : nodeRefused(ids[i], decodedError(replies[i]));
  };
}

const decodedError = (reply: Uint8Array): string => {
  const v = decodeReply(reply);
  return v.kind === 'error' ? v.text : '';
};

const everywhere = (merge: (d: Dispatch) => Merge): Shape => ({
  dispatch(req, spec, d) {
    toEveryNode(d, req.raw, merge(d), spec.slow);
  },
});

/** SCRIPT EXISTS: a script exists only if every node has it, so an EVALSHA finds it wherever it goes. */
const scriptExists: Merge = (replies) => {
  const error = firstError(replies);
  if (error !== undefined) return error;
  const lists = replies.map((r) => arrayElements(r).map((e) => e.toString('latin1')));
  return array(lists[0].map((_, i) => integer(lists.every((l) => l[i] === ':1\r\n') ? 1 : 0)));
};

/**
 * SCRIPT LOAD on every node, recording the script in the membership database of each (so a node
 * that joins later is given it first); the SHA the nodes agree on is the answer.
 */
const scriptLoad: Shape = {
  dispatch(req, spec, d) {
    const script = req.argBuffer(2);
    const sha = createHash('sha1').update(script).digest('hex');
    const record = encodeCommand(['EVAL', RECORD_SCRIPT, '0', String(d.proxy.membershipDatabase), SCRIPTS_KEY, sha, script]);
    const merge = agreed(d);
    d.fragment(
      d.ring.members.flatMap((_, node) => [
        { node, bytes: req.raw, slow: spec.slow },
        { node, bytes: record, slow: spec.slow },
      ]),
      (replies) => merge(replies.filter((_, i) => i % 2 === 0)),
    );
  },
};

const RECORD_SCRIPT = "redis.call('SELECT', ARGV[1]) return redis.call('HSET', ARGV[2], ARGV[3], ARGV[4])";
const FORGET_SCRIPTS = "redis.call('SELECT', ARGV[1]) return redis.call('DEL', ARGV[2])";

/** SCRIPT FLUSH on every node, and the record of loaded scripts with it. */
const scriptFlush: Shape = {
  dispatch(req, spec, d) {
    const forget = encodeCommand(['EVAL', FORGET_SCRIPTS, '0', String(d.proxy.membershipDatabase), SCRIPTS_KEY]);
    const merge = agreed(d);
    d.fragment(
      d.ring.members.flatMap((_, node) => [
        { node, bytes: req.raw, slow: spec.slow },
        { node, bytes: forget, slow: spec.slow },
      ]),
      (replies) => merge(replies.filter((_, i) => i % 2 === 0)),
    );
  },
};

// SLOWLOG GET entries: [id, unix time, microseconds, [args], client address, client name].
const SLOWLOG_TIME = 1;
const SLOWLOG_NAME = 5;

/** SLOWLOG GET [n]: every node's entries, newest first, each with its node in the client-name field. */
const slowlogGet: Shape = {
  dispatch(req, spec, d) {
    const count = req.argc > 2 ? Number(req.argString(2)) : 10;
    const ids = d.ring.members.map((m) => m.id);
    toEveryNode(
      d,
      req.raw,
      (replies) => {
        const error = firstError(replies);
        if (error !== undefined) return error;
        const entries = replies.flatMap((r, node) =>
          arrayElements(r).map((entry) => {
            const fields = arrayElements(entry);
            const time = Number(decoded(fields[SLOWLOG_TIME]));
            if (fields.length > SLOWLOG_NAME) fields[SLOWLOG_NAME] = bulk(`node=${ids[node]}`);
            return { time, bytes: array(fields) };
          }),
        );
        entries.sort((a, b) => b.time - a.time);
        return array((count < 0 ? entries : entries.slice(0, count)).map((e) => e.bytes));
      },
      spec.slow,
    );
  },
};

const decoded = (bytes: Uint8Array): string => {
  const v = decodeReply(bytes);
  return v.kind === 'integer' ? String(v.value) : v.kind === 'bulk' ? (v.value?.toString('latin1') ?? '') : v.kind === 'status' ? v.text : '';
};

/** LATENCY LATEST: one line per event, with the worst latest and all-time figures of any node. */
const latencyLatest = everywhere(() => (replies) => {
  const error = firstError(replies);
  if (error !== undefined) return error;
  const events = new Map<string, number[]>();
  for (const r of replies) {
    for (const line of arrayElements(r)) {
      const [event, ...figures] = arrayElements(line).map(decoded);
      const known = events.get(event);
      const values = figures.map(Number);
      events.set(event, known === undefined ? values : known.map((v, i) => Math.max(v, values[i])));
    }
  }
  return array([...events].map(([event, [time, latest, max]]) => array([bulk(event), integer(time), integer(latest), integer(max)])));
});

/** LATENCY HISTORY event: every node's samples of it, oldest first. */
const latencyHistory = everywhere(() => (replies) => {
  const error = firstError(replies);
  if (error !== undefined) return error;
  const samples = replies.flatMap((r) => arrayElements(r).map((s) => ({ time: Number(decoded(arrayElements(s)[0])), bytes: s })));
  samples.sort((a, b) => a.time - b.time);
  return array(samples.map((s) => s.bytes));
});

/** LASTSAVE: the oldest of the nodes' last saves, the one that tells how much could be lost. */
const lastsave = everywhere(() => (replies) => {
  const error = firstError(replies);
  if (error !== undefined) return error;
  return integer(Math.min(...replies.map((r) => Number(decoded(r)))));
});

/** MEMORY DOCTOR: each node's report, under its name. */
const memoryDoctor = everywhere((d) => (replies) => {
  const ids = d.ring.members.map((m) => m.id);
  return verbatim(replies.map((r, i) => `node ${ids[i]}:\n${decoded(r)}`).join('\n'), d.client.resp3);
});

/** MEMORY STATS: the nodes' byte counts summed; what is not a count, from the first node. */
const memoryStats = everywhere((d) => (replies) => {
  const error = firstError(replies);
  if (error !== undefined) return error;
  const sums = new Map<string, Reply>();
  const totals = new Map<string, number>();
  for (const r of replies) {
    const items = decodeReply(r);
    if (items.kind !== 'array' || items.items === null) continue;
    for (let i = 0; i + 1 < items.items.length; i += 2) {
      const name = decoded(items.items[i].raw);
      const value = items.items[i + 1];
      if (!sums.has(name)) sums.set(name, value);
      if (value.kind === 'integer') totals.set(name, (totals.get(name) ?? 0) + value.value);
    }
  }
  return map([...sums].map(([name, value]) => [bulk(name), totals.has(name) ? integer(totals.get(name)!) : value.raw] as const), d.client.resp3);
});

/**
 * CONFIG GET: a node's parameters, with jupiter's own where it has them (databases: one; maxclients
 * and timeout: its client limits), in the client's protocol.
 */
const configGet: Shape = {
  dispatch(req, _spec, d) {
    const own: Record<string, string> = {
      databases: '1',
      maxclients: String(d.proxy.limits.maxClients),
      timeout: String(d.proxy.limits.idleTimeoutSeconds),
    };
    const patterns = req.argStrings().slice(2);
    d.fragment([{ node: 0, bytes: req.raw }], ([reply]) => {
      const v = decodeReply(reply);
      if (v.kind === 'error') return reply;
      const found = new Map<string, Uint8Array>();
      const items = v.kind === 'array' && v.items !== null ? v.items : [];
      for (let i = 0; i + 1 < items.length; i += 2) found.set(decoded(items[i].raw), items[i + 1].raw);
      for (const [name, value] of Object.entries(own)) {
        // Redis matches parameter names case-insensitively.
        if (patterns.some((p) => globMatcher(p, { nocase: true })(name))) found.set(name, bulk(value));
      }
      return map([...found].map(([name, value]) => [bulk(name), value] as const), d.client.resp3);
    });
  },
};

const agreedEverywhere = everywhere(agreed);

/** The shapes of the cluster-wide commands and subcommands, by their full name. */
export const clusterCommands: ReadonlyMap<string, Shape> = new Map<string, Shape>([
  ['script|load', scriptLoad],
  ['script|flush', scriptFlush],
  ['script|exists', everywhere(() => scriptExists)],
  ['function|load', agreedEverywhere],
  ['function|delete', agreedEverywhere],
  ['function|flush', agreedEverywhere],
  ['function|restore', agreedEverywhere],
  ['function|list', anyNode],
  ['function|dump', anyNode],
  ['function|stats', anyNode],
  ['config|set', agreedEverywhere],
  ['config|resetstat', agreedEverywhere],
  ['config|get', configGet],
  ['slowlog|get', slowlogGet],
  ['slowlog|len', everywhere(() => sumIntegers)],
  ['slowlog|reset', agreedEverywhere],
  ['latency|latest', latencyLatest],
  ['latency|history', latencyHistory],
  ['latency|reset', everywhere(() => sumIntegers)],
  ['memory|doctor', memoryDoctor],
  ['memory|stats', memoryStats],
  ['lastsave', lastsave],
]);
