// Every command classified once into a request shape. Nothing outside routing/shapes knows
// about MGET or SCAN: adding a command's special handling means adding one line here.
import type { CommandSpec } from '../../protocol/commands.js';
import type { RequestView } from '../request.js';
import type { Dispatch, Shape } from '../dispatch.js';
import { anyNode, sameNodeKeys, singleKey } from './keyed.js';
import { mget, mset, sumKeys } from './split.js';
import { dbsize, flushall, flushdb, keys, randomkey } from './fanout.js';
import { scan } from './scan.js';
import { info } from './info.js';
import { auth, client, echo, hello, ping, quit, reset, select } from './local.js';
import { clusterCommands } from './cluster.js';
import { needsHash, needsOwnConnection } from './refused.js';
import { admin } from './admin.js';
import { blob } from './blob.js';
import { blocking, discard, exec, multi, unwatch, watch } from './session.js';
import { psubscribe, punsubscribe, ssubscribe, subscribe, sunsubscribe, unsubscribe } from './pubsub.js';

/** XREAD and XREADGROUP block only with the BLOCK option. */
const blocks = (req: RequestView): boolean => {
  for (let i = 1; i < req.argc; i++) {
    const a = req.argString(i).toLowerCase();
    if (a === 'streams') return false;
    if (a === 'block') return true;
  }
  return false;
};

const streamRead: Shape = {
  dispatch(req, spec, d) {
    if (blocks(req)) blocking.dispatch(req, spec, d);
    else sameNodeKeys.dispatch(req, spec, d);
  },
  session: (req, spec, hashKey, d) => blocks(req) && blocking.session!(req, spec, hashKey, d),
};

const byName = new Map<string, Shape>([
  ['mget', mget],
  ['mset', mset],
  ['del', sumKeys],
  ['unlink', sumKeys],
  ['exists', sumKeys],
  ['touch', sumKeys],
  ['dbsize', dbsize],
  ['keys', keys],
  ['flushdb', flushdb],
  ['flushall', flushall],
  ['randomkey', randomkey],
  ['scan', scan],
  ['info', info],
  ['time', anyNode],
  ['lolwut', anyNode],
  ['command', anyNode],
  ['ping', ping],
  ['echo', echo],
  ['quit', quit],
  ['reset', reset],
  ['select', select],
  ['client', client],
  ['auth', auth],
  ['hello', hello],
  ['jupiter', admin],
  ...['blob.put', 'blob.get', 'blob.getrange', 'blob.stat', 'blob.del', 'blob.list'].map((n) => [n, blob] as const),
  ['publish', singleKey],
  ['spublish', singleKey],
  ['subscribe', subscribe],
  ['psubscribe', psubscribe],
  ['ssubscribe', ssubscribe],
  ['unsubscribe', unsubscribe],
  ['punsubscribe', punsubscribe],
  ['sunsubscribe', sunsubscribe],
  ['xread', streamRead],
  ['xreadgroup', streamRead],
  ['multi', multi],
  ['exec', exec],
  ['discard', discard],
  ['watch', watch],
  ['unwatch', unwatch],
  ['wait', blocking],
  ['waitaof', blocking],
  ...['monitor', 'sync', 'psync', 'replconf'].map((n) => [n, needsOwnConnection] as const),
]);

const resolved = new Map<CommandSpec, Shape>();

export function shapeOf(spec: CommandSpec): Shape {
  let shape = resolved.get(spec);
  if (shape === undefined) {
    shape = classify(spec);
    resolved.set(spec, shape);
  }
  return shape;
}

function classify(spec: CommandSpec): Shape {
  const cluster = clusterCommands.get(spec.name);
  if (cluster !== undefined) return cluster;
  const top = spec.name.split('|')[0];
  const named = byName.get(top);
  if (named) return named;
  if (spec.pubsub) return needsOwnConnection;
  if (spec.blocking) return blocking;
  if (spec.singleKey) return singleKey;
  if (spec.keyed) return sameNodeKeys;
  return needsHash;
}
