// Hints: while a member is ejected, every write or delete of a key it owned is remembered by the
// node that took the write (in its membership database, sent in the same pipeline, so every
// proxy's hints are in one place). When the member comes back, its copies of those keys are stale
// and are deleted before the newer ones move back to it; past eject.hintLimit the member is
// flushed instead, as the hints no longer tell everything that changed.
import { Redis } from 'ioredis';
import { encodeCommand } from '../protocol/encode.js';
import type { Control } from './control.js';
import type { RecordMember } from './record.js';
import { parseAddress } from './control.js';
import { nodeClientOptions, type NodeAccess } from '../security/backend.js';

export const hintsKey = (member: string): string => `jupiter:hints:${member}`;
const overflowKey = (member: string): string => `jupiter:hints:${member}:overflow`;

// Records the keys, unless the hints have overflowed, or would: then only that is kept.
const RECORD = `redis.call('SELECT', ARGV[1])
if redis.call('EXISTS', ARGV[3]) == 1 then return 0 end
if redis.call('SCARD', ARGV[2]) + #ARGV - 4 > tonumber(ARGV[4]) then
  redis.call('SET', ARGV[3], '1')
  redis.call('DEL', ARGV[2])
  return 0
end
return redis.call('SADD', ARGV[2], unpack(ARGV, 5))`;

/** The request that hints `keys` of the ejected `member`, for the node that takes their writes. */
export function hintWrite(database: number, member: string, limit: number, keys: readonly Buffer[]): Buffer {
  return encodeCommand(['EVAL', RECORD, '0', String(database), hintsKey(member), overflowKey(member), String(limit), ...keys]);
}

/** Every key hinted for `member` on the nodes given, or null when hints overflowed or a node could not be read. */
export async function readHints(control: Control, nodes: readonly RecordMember[], member: string): Promise<Buffer[] | null> {
  const keys = new Map<string, Buffer>();
  for (const node of nodes) {
    const record = control.codeEnds(node.id)?.record;
    if (record === undefined) return null;
    try {
      const [overflowed, hinted] = await Promise.all([record.exists(overflowKey(member)), record.smembersBuffer(hintsKey(member))]);
      if (overflowed === 1) return null;
      for (const key of hinted) keys.set(key.toString('latin1'), key);
    } catch {
      return null;
    }
  }
  return [...keys.values()];
}

/** How many keys are hinted for `member` on the nodes given ('overflowed' past the limit). */
export async function countHints(control: Control, nodes: readonly RecordMember[], member: string): Promise<number | 'overflowed'> {
  let total = 0;
  for (const node of nodes) {
    const record = control.codeEnds(node.id)?.record;
    if (record === undefined) continue;
    const [overflowed, count] = await Promise.all([record.exists(overflowKey(member)), record.scard(hintsKey(member))]).catch(() => [0, 0]);
    if (overflowed === 1) return 'overflowed';
    total += count;
  }
  return total;
}

/** Forgets the hints of `member` on the nodes given (it is back, or removed for good). */
export async function dropHints(control: Control, nodes: readonly RecordMember[], member: string): Promise<void> {
  await Promise.allSettled(nodes.map((n) => control.codeEnds(n.id)?.record.del(hintsKey(member), overflowKey(member))));
}

/** Whether a node answers PING and a read within `timeoutMs`, on a connection of its own. */
export async function answersProbe(address: string, timeoutMs: number, access: NodeAccess): Promise<boolean> {
  const { host, port } = parseAddress(address);
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...nodeClientOptions(host, access),
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    await client.get('jupiter:probe');
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
