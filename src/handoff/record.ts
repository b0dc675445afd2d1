// The membership record: the epoch and member list that every proxy over the same nodes agrees
// on, kept in the Redis nodes themselves (on every member), so a proxy that reaches any one member
// finds it. A change is a compare-and-set on the epoch at one arbiter node (the first member of
// the current ring, by id, which every proxy computes alike), so of two concurrent changes exactly
// one wins; the winner then copies the record to every other node. Proxies also keep a heartbeat
// and their acknowledged epoch here, which the prepare/go barrier of a handoff waits on.
import type { Redis } from 'ioredis';
import type { NodeEnd } from './mover.js';

export const RECORD_KEY = 'jupiter:membership';
export const PROXIES_KEY = 'jupiter:proxies';
export const ACKS_KEY = 'jupiter:acks';
/** Where changes are announced; a proxy that missed one catches up by reading the record. */
export const ANNOUNCE_CHANNEL = 'jupiter:membership';

export interface RecordMember {
  readonly id: string;
  readonly address: string;
  readonly weight: number;
}

export interface MembershipRecord {
  readonly epoch: number;
  readonly members: readonly RecordMember[];
  readonly state: 'stable' | 'prepare' | 'handoff';
  /** During a handoff: the members of the epoch before. */
  readonly previous?: readonly RecordMember[];
  /** During a handoff: the old owners already drained. */
  readonly drained?: readonly string[];
  /** When this epoch was proposed (ms since the epoch of time). */
  readonly changedAt: number;
}

export class ChangeRefusedError extends Error {
  constructor(
    message: string,
    /** The record that won instead, when one did. */
    readonly current?: MembershipRecord,
  ) {
    super(message);
    this.name = 'ChangeRefusedError';
  }
}

// Sets the record only if the node's epoch is the expected one; answers the epoch found otherwise.
const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], 'epoch') or '0'
if current ~= ARGV[1] then return current end
redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'record', ARGV[3])
return 'OK'`;

// Writes the record unless the node already holds a newer epoch.
const WRITE_IF_NEWER = `
local current = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if current >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'record', ARGV[2])
return 1`;

/** The arbiter of changes from a record's epoch: its first member by id. */
export function arbiterOf(members: readonly RecordMember[]): string {
  return [...members].sort((a, b) => (a.id < b.id ? -1 : 1))[0].id;
}

export class RecordStore {
  /** `ends` has an end for every node the record may live on (members old and new). */
  constructor(private readonly ends: ReadonlyMap<string, NodeEnd>) {}

  /** The newest record any reachable node holds, or null when none holds one. */
  async read(): Promise<MembershipRecord | null> {
    const found = await Promise.allSettled([...this.ends.values()].map((e) => readFrom(e.client)));
    let newest: MembershipRecord | null = null;
    for (const r of found) {
      if (r.status === 'fulfilled' && r.value !== null && (newest === null || r.value.epoch > newest.epoch)) newest = r.value;
    }
    return newest;
  }

  /**
   * Replaces the record of epoch `current.epoch` (0: none yet) by `next` (epoch + 1): a
   * compare-and-set at the arbiter, then a copy to every node of both member lists. Throws
   * ChangeRefusedError when another change won, or when the arbiter cannot be reached.
   */
  async propose(current: MembershipRecord | null, next: MembershipRecord): Promise<void> {
    const expected = current?.epoch ?? 0;
    if (next.epoch !== expected + 1) throw new Error(`a change goes from epoch ${expected} to ${expected + 1}, not ${next.epoch}`);
    const arbiterId = arbiterOf(current?.members ?? next.members);
    const arbiter = this.ends.get(arbiterId);
    if (arbiter === undefined) throw new ChangeRefusedError(`the membership record's arbiter ${arbiterId} is not known to this proxy`);
    const text = JSON.stringify(next);
    let answer: unknown;
    try {
      answer = await arbiter.client.eval(COMPARE_AND_SET, 1, RECORD_KEY, String(expected), String(next.epoch), text);
    } catch (error) {
      throw new ChangeRefusedError(`the membership record's arbiter ${arbiterId} cannot be reached: ${(error as Error).message}`);
    }
    if (answer !== 'OK') {
      const winner = await readFrom(arbiter.client).catch(() => null);
      throw new ChangeRefusedError(`another change won: the membership record is at epoch ${String(answer)}, not ${expected}`, winner ?? undefined);
    }
    const others = new Set([...(current?.members ?? []), ...next.members].map((m) => m.id));
    others.delete(arbiterId);
    // A node that misses the copy (down) is behind; read() prefers the newest epoch it finds.
    await Promise.allSettled([...others].map((id) => this.ends.get(id)?.client.eval(WRITE_IF_NEWER, 1, RECORD_KEY, String(next.epoch), text)));
  }

  /** Says this proxy is alive for `ttlMs` more, and which epoch it has taken on; on every reachable node. */
  async heartbeat(proxyId: string, epoch: number, ttlMs: number): Promise<void> {
    const now = Date.now();
    await Promise.allSettled(
      [...this.ends.values()].map((e) =>
        // Heartbeats that ran out are dropped on the way, so the set stays the size of the live proxies.
        e.client.multi().zremrangebyscore(PROXIES_KEY, '-inf', now).zadd(PROXIES_KEY, now + ttlMs, proxyId).hset(ACKS_KEY, proxyId, String(epoch)).exec(),
      ),
    );
  }

  /** The proxies whose heartbeat has not run out, with the epoch each acknowledged (highest seen on any node). */
  async liveProxies(): Promise<Map<string, number>> {
    const now = Date.now();
    const live = new Map<string, number>();
    const views = await Promise.allSettled([...this.ends.values()].map((e) => liveOn(e.client, now)));
    for (const view of views) {
      if (view.status !== 'fulfilled') continue;
      for (const [id, epoch] of view.value) live.set(id, Math.max(epoch, live.get(id) ?? 0));
    }
    return live;
  }

  /**
   * Resolves once every live proxy has acknowledged `epoch` (polling every `everyMs`); rejects with
   * ChangeRefusedError naming the ones that did not within `timeoutMs`.
   */
  async acknowledged(epoch: number, timeoutMs: number, everyMs = 50): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = await this.liveProxies();
      const behind = [...live].filter(([, acked]) => acked < epoch).map(([id]) => id);
      if (behind.length === 0) return live.size;
      if (Date.now() >= deadline) throw new ChangeRefusedError(`proxies ${behind.join(', ')} did not acknowledge epoch ${epoch} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  /** Tells every proxy following the channel that the record changed. */
  async announce(epoch: number): Promise<void> {
    await Promise.allSettled([...this.ends.values()].map((e) => e.client.publish(ANNOUNCE_CHANNEL, String(epoch))));
  }
}

async function readFrom(client: Redis): Promise<MembershipRecord | null> {
  const text = await client.hget(RECORD_KEY, 'record');
  return text === null ? null : (JSON.parse(text) as MembershipRecord);
}

async function liveOn(client: Redis, now: number): Promise<[string, number][]> {
  const [ids, acks] = await Promise.all([client.zrangebyscore(PROXIES_KEY, now, '+inf'), client.hgetall(ACKS_KEY)]);
  return ids.map((id) => [id, Number(acks[id] ?? 0)]);
}
