// Multi-key commands split per node and merged into the reply Redis would give. MSET is not
// atomic across nodes. When every key lands on one node the request goes there untouched.
import { array, commandFromRanges } from '../../protocol/encode.js';
import { wrongArity } from '../../protocol/errors.js';
import { ownerOfKey } from '../hashkey.js';
import { allOk, arrayElements, firstError, sumIntegers } from '../merge.js';
import type { Dispatch, Merge, Part, Shape } from '../dispatch.js';
import { encodedArg, type RequestView } from '../request.js';

interface Groups {
  /** Node of each key group, in first-seen order. */
  readonly nodes: number[];
  /** Argument indexes of each group. */
  readonly members: number[][];
}

/** Groups key arguments (every `step`-th from 1) by owning node. */
function groupByNode(req: RequestView, d: Dispatch, step: number): Groups {
  const nodes: number[] = [];
  const members: number[][] = [];
  const slotOf = new Map<number, number>();
  for (let i = 1; i < req.argc; i += step) {
    const node = ownerOfKey(d.ring, req.raw, req.starts[i], req.ends[i], d.hashTags);
    let g = slotOf.get(node);
    if (g === undefined) {
      g = nodes.length;
      slotOf.set(node, g);
      nodes.push(node);
      members.push([]);
    }
    members[g].push(i);
  }
  return { nodes, members };
}

function splitShape(step: number, mergeFor: (groups: Groups, req: RequestView) => Merge): Shape {
  return {
    dispatch(req, spec, d) {
      if ((req.argc - 1) % step !== 0) return d.reply(wrongArity(spec.name));
      const groups = groupByNode(req, d, step);
      if (groups.nodes.length === 1) return d.forward(groups.nodes[0], req.raw);
      const name = encodedArg(req, 0);
      const parts: Part[] = groups.nodes.map((node, g) => {
        const members = groups.members[g];
        const ranges: Buffer[] = [name];
        // A key and its value (MSET) are adjacent, so one range covers both.
        for (const i of members) ranges.push(req.raw.subarray(req.ends[i - 1] + 2, req.ends[i + step - 1] + 2));
        return { node, bytes: commandFromRanges(1 + members.length * step, ranges) };
      });
      d.fragment(parts, mergeFor(groups, req));
    },
  };
}

/**
 * MGET: each node's values put back at their keys' places in the request. The key count is read
 * now: `req` may be the parser's view, which shows the next request by the time replies arrive.
 */
export const mget = splitShape(1, (groups, req) => {
  const keyCount = req.argc - 1;
  return (replies) => {
    const error = firstError(replies);
    if (error) return error;
    const out = new Array<Uint8Array>(keyCount);
    replies.forEach((reply, g) => {
      const values = arrayElements(reply);
      groups.members[g].forEach((argIndex, k) => (out[argIndex - 1] = values[k]));
    });
    return array(out);
  };
});

export const mset = splitShape(2, () => allOk);

/** DEL, UNLINK, EXISTS, TOUCH: per-node counts summed. */
export const sumKeys = splitShape(1, () => sumIntegers);
