// SCAN over the whole cluster with one cursor: cursor = nodeCursor * nodeCount + nodeIndex, so a
// full iteration walks node 0, then node 1, ... each from its own cursor 0, visiting every node once.
import { array, bulk } from '../../protocol/encode.js';
import { decodeReply } from '../../protocol/decode.js';
import { invalidCursor } from '../../protocol/errors.js';
import { encodeCommand } from '../../protocol/encode.js';
import type { Shape } from '../dispatch.js';
import { isSlow } from '../slow.js';

const CURSOR = /^[0-9]+$/;

export const scan: Shape = {
  dispatch(req, spec, d) {
    const text = req.argString(1);
    if (!CURSOR.test(text)) return d.reply(invalidCursor);
    const count = BigInt(d.ring.members.length);
    const cursor = BigInt(text);
    const node = Number(cursor % count);
    const nodeCursor = cursor / count;
    const args: (string | Buffer)[] = req.argStrings();
    args[1] = nodeCursor.toString();
    d.fragment([{ node, bytes: encodeCommand(args), slow: isSlow(req, spec) }], ([reply]) => {
      const decoded = decodeReply(reply);
      if (decoded.kind !== 'array' || decoded.items === null || decoded.items.length !== 2) return reply;
      const [next, keys] = decoded.items;
      if (next.kind !== 'bulk' || next.value === null) return reply;
      const nextNodeCursor = BigInt(next.value.toString('latin1'));
      let merged: bigint;
      if (nextNodeCursor !== 0n) merged = nextNodeCursor * count + BigInt(node);
      else merged = node + 1 < Number(count) ? BigInt(node + 1) : 0n;
      return array([bulk(merged.toString()), keys.raw]);
    });
  },
};
