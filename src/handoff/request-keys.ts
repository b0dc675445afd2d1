// The keys a forwarded request touches, read back from its bytes: a handoff pair gets requests as
// the connection sends them (options such as hash= already stripped), and moves exactly the keys
// Redis will act on. Only requests for moving keys come here, never the hot path.
import { decodeReply } from '../protocol/decode.js';
import { keyPositions, lookupCommand } from '../protocol/commands.js';

export function requestKeys(bytes: Uint8Array): Buffer[] {
  const request = decodeReply(bytes);
  if (request.kind !== 'array' || request.items === null || request.items.length < 2) return [];
  const args = request.items.map((item) => (item.kind === 'bulk' && item.value !== null ? item.value : Buffer.alloc(0)));
  const spec = lookupCommand(args[0].toString('latin1'));
  if (spec === undefined || !spec.keyed) return [];
  if (spec.singleKey) return [args[1]];
  return keyPositions(spec.name, args.map((a) => a.toString('latin1'))).map((i) => args[i]);
}
