// A node that joins the cluster is given its scripts and functions before it owns any key, so an
// EVALSHA or FCALL routed to it finds them there: the functions as FUNCTION DUMP from a member and
// FUNCTION RESTORE, the scripts from the record SCRIPT LOAD keeps in each member's membership
// database (Redis has no way to list a node's cached scripts).
import type { Redis } from 'ioredis';

/** The scripts loaded with SCRIPT LOAD through jupiter, by SHA, in each node's membership database. */
export const SCRIPTS_KEY = 'jupiter:scripts';

/** A node's control clients: its data (database 0) and its membership database. */
export interface CodeEnds {
  readonly data: Redis;
  readonly record: Redis;
}

/**
 * Copies every function library and recorded script of `from` to `to`; throws when `to` refuses
 * the functions. A recorded script that does not compile was refused by every node when it was
 * loaded (the record is written beside the load, not after it), so it is left behind.
 */
export async function copyScriptsAndFunctions(from: CodeEnds, to: CodeEnds): Promise<void> {
  const dump = (await from.data.callBuffer('FUNCTION', 'DUMP')) as Buffer | null;
  if (dump !== null) await to.data.call('FUNCTION', 'RESTORE', dump, 'REPLACE');
  const entries = Object.entries(await from.record.hgetallBuffer(SCRIPTS_KEY));
  if (entries.length === 0) return;
  const load = to.data.pipeline();
  for (const [, script] of entries) load.call('SCRIPT', 'LOAD', script);
  const results = (await load.exec())!;
  const loaded = entries.filter((_, i) => results[i][0] === null);
  if (loaded.length > 0) await to.record.hset(SCRIPTS_KEY, Object.fromEntries(loaded));
}
