// Which requests go over a node's side link: commands known to be slow, and SCANs that ask for
// more than a small page at a time.
import type { CommandSpec } from '../protocol/commands.js';
import type { RequestView } from './request.js';

/** A SCAN COUNT above this walks enough of the keyspace per call to take a while. */
const BIG_SCAN_COUNT = 10_000;

export function isSlow(req: RequestView, spec: CommandSpec): boolean {
  if (spec.slow) return true;
  if (spec.name !== 'scan') return false;
  for (let i = 2; i + 1 < req.argc; i++) {
    if (req.ends[i] - req.starts[i] === 5 && req.argString(i).toLowerCase() === 'count') return Number(req.argString(i + 1)) > BIG_SCAN_COUNT;
  }
  return false;
}
