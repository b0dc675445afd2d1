// Moving keys from the node that owned them under the old ring to their owner under the new one,
// with stock Redis: MIGRATE from the old owner where the nodes can reach each other, or DUMP
// there and RESTORE ... ABSTTL on the new owner, through jupiter, where MIGRATE is refused
// (managed services often rename it away) or the nodes cannot reach each other.
//
// One rule decides every key: a key already on the new owner is newer (it was written there under
// the new ring), so the old copy is deleted, never restored over it. The caller makes sure no one
// writes a key to its old owner while it moves (the handoff holds such requests).
import type { Redis } from 'ioredis';
import { migrateAuth, type NodeCredentials } from '../security/backend.js';

/** One end of a move: a control-plane client of the node, and the address other nodes reach it at. */
export interface NodeEnd {
  readonly id: string;
  readonly client: Redis;
  readonly host: string;
  readonly port: number;
}

export type MoveMethod = 'migrate' | 'restore';

export interface MoveOptions {
  /** `auto`: MIGRATE until a node refuses it, DUMP/RESTORE from then on. */
  readonly method: MoveMethod | 'auto';
  /** MIGRATE's own timeout (ms) for the transfer between the nodes. */
  readonly timeoutMs: number;
  /** jupiter's credentials on the node at host:port: MIGRATE passes them to the node it moves keys to. */
  readonly credentialsAt?: (host: string, port: number) => NodeCredentials | undefined;
}

/** What became of a batch of keys. */
export interface MoveCounts {
  /** Copied to the new owner and deleted from the old one (with MIGRATE: sent in a MIGRATE that moved any). */
  moved: number;
  /** Not on the old owner (deleted, expired, or moved already); with MIGRATE, counted only when none was there. */
  absent: number;
  /** Already on the new owner, so newer: the old copy was deleted. */
  keptNewer: number;
}

export class MoveError extends Error {
  constructor(
    readonly from: string,
    readonly to: string,
    detail: string,
  ) {
    super(`moving keys from ${from} to ${to} failed: ${detail}`);
    this.name = 'MoveError';
  }
}

export const emptyCounts = (): MoveCounts => ({ moved: 0, absent: 0, keptNewer: 0 });

export function addCounts(total: MoveCounts, more: MoveCounts): void {
  total.moved += more.moved;
  total.absent += more.absent;
  total.keptNewer += more.keptNewer;
}

// RESTORE answers BUSYKEY; MIGRATE passes it on as "ERR Target instance replied with error: BUSYKEY ...".
const BUSY_KEY = /\bBUSYKEY\b/;

export class KeyMover {
  private method: MoveMethod;

  constructor(private readonly options: MoveOptions) {
    this.method = options.method === 'restore' ? 'restore' : 'migrate';
  }

  /** The method in use now (`auto` switches to restore after the first refused MIGRATE). */
  get current(): MoveMethod {
    return this.method;
  }

  /**
   * Moves `keys` (all owned by `to` under the new ring) from `from`; throws MoveError when a node
   * fails. One command to the old owner when MIGRATE is used (a key on the new owner already is
   * found by MIGRATE's BUSYKEY), so a client's request waits as little as it can.
   */
  async move(keys: readonly Buffer[], from: NodeEnd, to: NodeEnd): Promise<MoveCounts> {
    const counts = emptyCounts();
    if (keys.length === 0) return counts;
    if (this.method === 'migrate') {
      try {
        await this.migrate(keys, from, to, counts);
        return counts;
      } catch (error) {
        if (this.options.method !== 'auto' || !(error instanceof MigrateRefused)) throw error;
        this.method = 'restore';
      }
    }
    await restore(keys, from, to, counts);
    return counts;
  }

  /** One MIGRATE of them all from the old owner. */
  private async migrate(keys: readonly Buffer[], from: NodeEnd, to: NodeEnd, counts: MoveCounts): Promise<void> {
    let reply: unknown;
    try {
      reply = await from.client.call('MIGRATE', to.host, String(to.port), '', '0', String(this.options.timeoutMs), ...migrateAuth(this.options.credentialsAt?.(to.host, to.port)), 'KEYS', ...keys);
    } catch (error) {
      const message = (error as Error).message;
      // A key written to the new owner since it was routed there: it is newer there.
      if (BUSY_KEY.test(message)) return settleBusy(keys, from, to, counts);
      throw new MigrateRefused(from.id, to.id, message);
    }
    // MIGRATE skips keys the old owner does not hold, and says NOKEY when it held none of them.
    if (reply === 'NOKEY') counts.absent += keys.length;
    else counts.moved += keys.length;
  }
}

/** MIGRATE failed for a reason other than a newer key on the target: refused, or the nodes cannot talk. */
class MigrateRefused extends MoveError {}

/** EXISTS of each key on one node, pipelined. */
async function existence(end: NodeEnd, keys: readonly Buffer[]): Promise<boolean[]> {
  const pipeline = end.client.pipeline();
  for (const key of keys) pipeline.exists(key);
  const results = await run(end, pipeline);
  return results.map((n) => n === 1);
}

async function unlink(end: NodeEnd, keys: readonly Buffer[]): Promise<void> {
  if (keys.length > 0) await end.client.unlink(...keys);
}

/**
 * After a MIGRATE that met a newer key: the keys it moved are gone from the old owner; those it did
 * not are still there and, being on the new owner too, are deleted as stale.
 */
async function settleBusy(keys: readonly Buffer[], from: NodeEnd, to: NodeEnd, counts: MoveCounts): Promise<void> {
  const [onSource, onTarget] = await Promise.all([existence(from, keys), existence(to, keys)]);
  const stale = keys.filter((_, i) => onSource[i] && onTarget[i]);
  const left = keys.filter((_, i) => onSource[i] && !onTarget[i]);
  await unlink(from, stale);
  counts.keptNewer += stale.length;
  counts.moved += keys.length - stale.length - left.length;
  if (left.length > 0) await restore(left, from, to, counts);
}

/** DUMP each key with its expiry on the old owner, RESTORE it on the new one, then delete the old copy. */
async function restore(keys: readonly Buffer[], from: NodeEnd, to: NodeEnd, counts: MoveCounts): Promise<void> {
  const read = from.client.pipeline();
  read.time();
  for (const key of keys) read.pttl(key).dumpBuffer(key);
  const values = await run(from, read);
  // Expiry as an absolute time on the old owner's clock, so the time the move takes does not stretch it.
  const [seconds, micros] = values[0] as [string, string];
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const write = to.client.pipeline();
  const sent: Buffer[] = [];
  keys.forEach((key, i) => {
    const ttl = values[1 + 2 * i] as number;
    const dump = values[2 + 2 * i] as Buffer | null;
    if (dump === null || ttl === -2) {
      counts.absent++;
      return;
    }
    write.call('RESTORE', key, ttl > 0 ? String(now + ttl) : '0', dump, ...(ttl > 0 ? ['ABSTTL'] : []));
    sent.push(key);
  });
  if (sent.length === 0) return;
  const results = await write.exec();
  const done: Buffer[] = [];
  results!.forEach(([error], i) => {
    if (error === null) counts.moved++;
    else if (BUSY_KEY.test(error.message)) counts.keptNewer++;
    else throw new MoveError(from.id, to.id, `RESTORE: ${error.message}`);
    done.push(sent[i]);
  });
  await unlink(from, done);
}

/** Runs a pipeline and returns its values; a command that failed fails the whole batch. */
async function run(end: NodeEnd, pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = await pipeline.exec();
  if (results === null) throw new MoveError(end.id, end.id, 'the pipeline was discarded');
  return results.map(([error, value]) => {
    if (error !== null) throw new MoveError(end.id, end.id, error.message);
    return value;
  });
}
