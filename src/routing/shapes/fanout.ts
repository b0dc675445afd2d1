// Keyless commands sent to every node, with one merge each: DBSIZE sums, KEYS unites,
// FLUSHDB/FLUSHALL succeed only if every node did, RANDOMKEY picks among the nodes that had one.
import { array, encodeCommand } from '../../protocol/encode.js';
import { allOk, arrayElements, firstError, sumIntegers } from '../merge.js';
import type { Dispatch, Merge, Shape } from '../dispatch.js';

export function toEveryNode(d: Dispatch, bytes: Uint8Array, merge: Merge, slow = false): void {
  d.fragment(
    d.ring.members.map((_, node) => ({ node, bytes, slow })),
    merge,
  );
}

const fanOut = (merge: Merge): Shape => ({
  dispatch(req, spec, d) {
    toEveryNode(d, req.raw, merge, spec.slow);
  },
});

export const dbsize = fanOut(sumIntegers);
export const flushdb = fanOut(allOk);

/**
 * A client sees database 0 only, so FLUSHALL is FLUSHDB there: the nodes' other databases hold
 * jupiter's membership record and placement index, which a client's flush must not erase.
 */
export const flushall: Shape = {
  dispatch(req, spec, d) {
    const args = req.argStrings();
    toEveryNode(d, encodeCommand(['FLUSHDB', ...args.slice(1)]), allOk, spec.slow);
  },
};

export const keys = fanOut((replies) => firstError(replies) ?? array(replies.flatMap((r) => arrayElements(r))));

export const randomkey = fanOut((replies) => {
  const error = firstError(replies);
  if (error) return error;
  const found = replies.filter((r) => r[0] === 36 && r[1] !== 45);
  // None found: a node's own empty answer is the null of the client's protocol.
  return found.length > 0 ? found[Math.floor(Math.random() * found.length)] : replies[0];
});
