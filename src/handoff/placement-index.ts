// The placement index. A key written with hash= or index= lives on its hash key's node, not its
// name's, so a migrator that scans a node could not tell where the key belongs. Each such write
// also records `key -> hash key` in one Redis hash of the node's membership database, sent in the
// same pipeline as the write; the migrator looks the keys of each batch up there and moves entries
// with their keys, so a hash= group stays together on its hash key's node after any change.
//
// The scripts SELECT the membership database themselves: Redis keeps a script's SELECT to the
// script, so the shared link stays on database 0 and the entries never show in KEYS or SCAN.
// They declare no keys, so a handoff pair never mistakes the index for a key to move.
import type { Redis } from 'ioredis';
import { encodeCommand } from '../protocol/encode.js';

/** The hash, in the membership database of each node, holding that node's entries. */
export const PLACEMENT_INDEX = 'jupiter:placed';

const SET = "redis.call('SELECT', ARGV[1]) return redis.call('HSET', ARGV[2], unpack(ARGV, 3))";
// An empty index (no hash= writes on this node) answers an empty list rather than a nil per key.
const GET = "redis.call('SELECT', ARGV[1]) if redis.call('EXISTS', ARGV[2]) == 0 then return {} end return redis.call('HMGET', ARGV[2], unpack(ARGV, 3))";
const DEL = "redis.call('SELECT', ARGV[1]) return redis.call('HDEL', ARGV[2], unpack(ARGV, 3))";

/** The request that records `keys` as placed by `hashKey`, to go to their node before the write. */
export function placementWrite(database: number, keys: readonly Buffer[], hashKey: Buffer): Buffer {
  const args: (string | Buffer)[] = ['EVAL', SET, '0', String(database), PLACEMENT_INDEX];
  for (const key of keys) args.push(key, hashKey);
  return encodeCommand(args);
}

/** The index of every node, read and moved over the nodes' data clients. */
export class PlacementIndex {
  constructor(private readonly database: number) {}

  /** The hash key each key was written with, or null for a key placed by its name. */
  async lookup(client: Redis, keys: readonly Buffer[]): Promise<(Buffer | null)[]> {
    if (keys.length === 0) return [];
    const found = (await client.callBuffer('EVAL', GET, '0', String(this.database), PLACEMENT_INDEX, ...keys)) as (Buffer | null)[];
    return found.length === 0 ? keys.map(() => null) : found;
  }

  /** Moves the entries of `keys` (just moved from `from` to `to`), as lookup() found them, along with them. */
  async carry(keys: readonly Buffer[], hashKeys: readonly (Buffer | null)[], from: Redis, to: Redis): Promise<void> {
    const entries: Buffer[] = [];
    const moved: Buffer[] = [];
    hashKeys.forEach((hashKey, i) => {
      if (hashKey === null) return;
      entries.push(keys[i], hashKey);
      moved.push(keys[i]);
    });
    if (moved.length === 0) return;
    await to.callBuffer('EVAL', SET, '0', String(this.database), PLACEMENT_INDEX, ...entries);
    await from.callBuffer('EVAL', DEL, '0', String(this.database), PLACEMENT_INDEX, ...moved);
  }
}
