// Shapes that send the whole request to one node: by its only key (the hot path), by all of
// its keys when they share a node (else CROSSSLOT, never a wrong answer; no key at all needs
// hash=), or to any node.
import { crossSlot, needsHashKey } from '../../protocol/errors.js';
import { keyPositions } from '../../protocol/commands.js';
import { ownerOfKey, ownerOfKeyString } from '../hashkey.js';
import type { Shape } from '../dispatch.js';
import { missOf } from '../miss.js';
import { typedName } from '../request.js';

export const singleKey: Shape = {
  dispatch(req, spec, d) {
    const node = ownerOfKey(d.ring, req.raw, req.starts[1], req.ends[1], d.hashTags);
    if (d.proxy.onDown === 'error') d.forward(node, req.raw);
    else d.forward(node, req.raw, false, missOf(spec, d.client.resp3));
  },
};

export const sameNodeKeys: Shape = {
  dispatch(req, spec, d) {
    const args = req.argStrings();
    const positions = keyPositions(spec.name, args);
    // EVAL "..." 0, FCALL f 0: a script's writes would land on a random node.
    if (positions.length === 0) return d.reply(needsHashKey(typedName(req, spec.name.includes('|'))));
    const node = ownerOfKeyString(d.ring, args[positions[0]], d.hashTags);
    for (let i = 1; i < positions.length; i++) {
      if (ownerOfKeyString(d.ring, args[positions[i]], d.hashTags) !== node) return d.reply(crossSlot);
    }
    d.forward(node, req.raw, false, d.proxy.onDown === 'miss' ? missOf(spec, d.client.resp3, positions.length) : undefined);
  },
};

/** Keyless commands whose answer does not depend on the node (TIME, LASTSAVE, COMMAND). */
export const anyNode: Shape = {
  dispatch(req, _spec, d) {
    d.forward(randomNode(d.ring.members.length), req.raw);
  },
};

export const randomNode = (count: number): number => Math.floor(Math.random() * count);
