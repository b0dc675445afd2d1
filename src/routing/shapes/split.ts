// Multi-key commands split per node and merged into the reply Redis would give. MSET is not
// atomic across nodes. When every key lands on one node the request goes there untouched.
//
// MGET and MSET of a few random keys are common and always split, so this path copies byte
// ranges instead of building arrays of views: each part is one allocation, written straight from
// the request's encoded arguments, and MGET's reply is one allocation copied from the nodes' replies.
import { internalError, wrongArity } from '../../protocol/errors.js';
import { arrayHeaderLength, copyRange, findCR, writeArrayHeader } from '../../protocol/bytes.js';
import { replyEnd } from '../../protocol/replies.js';
import { ownerOfKey } from '../hashkey.js';
import { allOk, firstError, sumIntegers } from '../merge.js';
import type { Dispatch, Merge, Part, Shape } from '../dispatch.js';
import type { RequestView } from '../request.js';
import { missOf } from '../miss.js';

/**
 * Key groups of one request: the group of each key, each group's node in first-seen order, and
 * each group's key count and encoded size (the bytes of its keys' arguments), gathered in one pass.
 */
interface Groups {
  readonly groupOf: Int32Array;
  readonly nodes: number[];
  readonly keys: number[];
  readonly sizes: number[];
}

/** Groups the keys (every `step`-th argument from 1) by owning node. */
function groupByNode(req: RequestView, d: Dispatch, step: number): Groups {
  const { raw, starts, ends } = req;
  const keyCount = (req.argc - 1) / step;
  const groupOf = new Int32Array(keyCount);
  const nodes: number[] = [];
  const keys: number[] = [];
  const sizes: number[] = [];
  for (let k = 0; k < keyCount; k++) {
    const i = 1 + k * step;
    const node = ownerOfKey(d.ring, raw, starts[i], ends[i], d.hashTags);
    // A request's keys span at most the ring's few members: a scan beats a Map here.
    let g = nodes.indexOf(node);
    if (g === -1) {
      g = nodes.push(node) - 1;
      keys.push(0);
      sizes.push(0);
    }
    groupOf[k] = g;
    keys[g]++;
    // From the end of the argument before the key to the end of its last argument (MSET's value).
    sizes[g] += ends[i + step - 1] - ends[i - 1];
  }
  return { groupOf, nodes, keys, sizes };
}

/**
 * The command for group g: the command name's encoded bytes (from nameFrom), then each of its
 * keys' encoded argument range. A key and its value (MSET) are adjacent, so one range covers both.
 */
function partCommand(req: RequestView, step: number, groups: Groups, g: number, nameFrom: number): Buffer {
  const { raw, ends } = req;
  const { groupOf } = groups;
  const nameTo = ends[0] + 2;
  const count = 1 + groups.keys[g] * step;
  const out = Buffer.allocUnsafe(arrayHeaderLength(count) + (nameTo - nameFrom) + groups.sizes[g]);
  let at = writeArrayHeader(out, 0, count);
  at = copyRange(raw, nameFrom, nameTo, out, at);
  for (let k = 0; k < groupOf.length; k++) {
    if (groupOf[k] === g) at = copyRange(raw, ends[k * step] + 2, ends[k * step + step] + 2, out, at);
  }
  return out;
}

function splitShape(step: number, mergeFor: (groups: Groups) => Merge): Shape {
  return {
    dispatch(req, spec, d) {
      if ((req.argc - 1) % step !== 0) return d.reply(wrongArity(spec.name));
      const groups = groupByNode(req, d, step);
      const { nodes } = groups;
      if (nodes.length === 1) return d.forward(nodes[0], req.raw);
      // Where the command name's `$<length>` header starts, after the array header.
      const nameFrom = findCR(req.raw, 1, req.raw.length) + 2;
      const parts: Part[] = new Array<Part>(nodes.length);
      for (let g = 0; g < nodes.length; g++) parts[g] = { node: nodes[g], bytes: partCommand(req, step, groups, g, nameFrom) };
      // eject.onDown miss: each read part answers what its keys would, missing, when its node is down.
      if (d.proxy.onDown === 'miss' && spec.readonly) {
        for (let g = 0; g < nodes.length; g++) parts[g] = { ...parts[g], miss: missOf(spec, d.client.resp3, groups.keys[g]) };
      }
      d.fragment(parts, mergeFor(groups));
    },
  };
}

/**
 * MGET: each node's values put back at their keys' places in the request. Only the key groups
 * are kept for the merge: the request itself may be the parser's view, which shows the next
 * request by the time the replies arrive.
 */
export const mget = splitShape(1, ({ groupOf }) => (replies) => firstError(replies) ?? interleave(replies, groupOf));

/** One array reply of every key's value, in request order, from the per-group array replies. */
function interleave(replies: readonly Uint8Array[], groupOf: Int32Array): Uint8Array {
  const cursors = new Array<number>(replies.length);
  let size = arrayHeaderLength(groupOf.length);
  for (let g = 0; g < replies.length; g++) {
    const reply = replies[g];
    const cr = findCR(reply, 1, reply.length);
    // A node that answered with something else than an array gets no made-up answer.
    if (reply[0] !== 42 || cr === -1) return internalError;
    cursors[g] = cr + 2;
    size += reply.length - (cr + 2);
  }
  const out = Buffer.allocUnsafe(size);
  let at = writeArrayHeader(out, 0, groupOf.length);
  for (let k = 0; k < groupOf.length; k++) {
    const g = groupOf[k];
    const reply = replies[g];
    const from = cursors[g];
    const to = replyEnd(reply, from);
    // Fewer values than keys asked: no made-up answer either.
    if (to < 0) return internalError;
    at = copyRange(reply, from, to, out, at);
    cursors[g] = to;
  }
  return at === size ? out : out.subarray(0, at);
}

export const mset = splitShape(2, () => allOk);

/** DEL, UNLINK, EXISTS, TOUCH: per-node counts summed. */
export const sumKeys = splitShape(1, () => sumIntegers);
