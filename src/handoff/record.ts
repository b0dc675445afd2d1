// The membership record: the epoch and member list that every proxy over the same nodes agrees
// on, kept in the Redis nodes themselves (on every member), so a proxy that reaches any one member
// finds it. A change is a compare-and-set on the epoch at one arbiter node (the first member of
// the current ring, by id, which every proxy computes alike), so of two concurrent changes exactly
// one wins; the winner then copies the record to every other node. Proxies also keep a heartbeat
// and their acknowledged epoch here, which the prepare/go barrier of a handoff waits on.
import type { Redis } from 'ioredis';
import type { NodeEnd } from './mover.js';
import { isDown } from './reachable.js';

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

/** A member taken out of the ring because it failed, and since when (ms since the epoch of time). */
export interface EjectedMember extends RecordMember {
  readonly since: number;
}

export interface MembershipRecord {
  readonly epoch: number;
  /** Counts the updates within one epoch (prepare, handoff, each drained owner, stable). */
  readonly revision: number;
  readonly members: readonly RecordMember[];
  readonly state: 'stable' | 'prepare' | 'handoff';
  /** During a handoff: the members of the epoch before. */
  readonly previous?: readonly RecordMember[];
  /** During a handoff: the old owners already drained (or skipped, when they failed). */
  readonly drained?: readonly string[];
  /** Old owners whose drain failed and was given up: their keys were left behind (misses). */
  readonly skipped?: readonly string[];
  /** The change that made this epoch, as an operator wrote it (`ADDNODE 10.0.0.4:6379`). */
  readonly change?: string;
  /** The proxy running the handoff's migrator. */
  readonly driver?: string;
  /** A stable record that undid a change whose prepare was not acknowledged in time. */
  readonly abandoned?: boolean;
  /** Keys moved so far by the migrator, and the keys it found on the old owners when it began. */
  readonly keysMoved?: number;
  readonly keysTotalEstimate?: number;
  /** When this epoch was proposed (ms since the epoch of time). */
  readonly changedAt: number;
  /** Members out of the ring while they fail; writes of their keys leave hints on the others. */
  readonly ejected?: readonly EjectedMember[];
  /** During a handoff: the ejected member coming back, whose stale copies go before keys move to it. */
  readonly returning?: string;
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

// Sets the record unless the node holds a newer one than the proposer's current record (then
// answers what it holds). A node behind the current record (it missed a copy while down) is
// caught up by the same write, so any member can arbitrate.
const COMPARE_AND_SET = `
local epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
local revision = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
local e, r = tonumber(ARGV[1]), tonumber(ARGV[2])
if epoch > e or (epoch == e and revision > r) then return epoch .. '.' .. revision end
redis.call('HSET', KEYS[1], 'epoch', ARGV[3], 'revision', ARGV[4], 'record', ARGV[5])
return 'OK'`;

// Writes the record unless the node already holds the same or a newer (epoch, revision).
const WRITE_IF_NEWER = `
local epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
local revision = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
local e, r = tonumber(ARGV[1]), tonumber(ARGV[2])
if epoch > e or (epoch == e and revision >= r) then return 0 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'revision', ARGV[2], 'record', ARGV[3])
return 1`;

/** Whether record a is newer than b: a later epoch, or a later revision of the same epoch. */
export function newer(a: MembershipRecord, b: MembershipRecord | null): boolean {
  return b === null || a.epoch > b.epoch || (a.epoch === b.epoch && a.revision > b.revision);
}

/**
 * The arbiters of changes from a record's epoch, in the order they are tried: its members by id.
 * The first one whose connection is not lost decides, so every proxy picks the same one while the
 * nodes are up, and a dead first member does not stop every change (removing it, say).
 */
export function arbitersOf(members: readonly RecordMember[]): string[] {
  return members.map((m) => m.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export class RecordStore {
  /**
   * `ends` has an end for every node the record may live on (members old and new); `failing` says
   * which the proxy knows to be failing (a frozen node keeps its connection but answers nothing),
   * skipped like a node whose connection is lost.
   */
  constructor(
    private readonly ends: ReadonlyMap<string, NodeEnd>,
    private readonly failing: (id: string) => boolean = () => false,
  ) {}

  private usable(end: NodeEnd): boolean {
    return !isDown(end.client) && !this.failing(end.id);
  }

  /** The newest record any reachable node holds, or null when none holds one. */
  async read(): Promise<MembershipRecord | null> {
    const found = await Promise.allSettled(this.liveEnds().map((e) => readFrom(e.client)));
    let newest: MembershipRecord | null = null;
    for (const r of found) {
      if (r.status === 'fulfilled' && r.value !== null && newer(r.value, newest)) newest = r.value;
    }
    return newest;
  }

  /**
   * Replaces the record `current` (null: none yet) by `next`, the next epoch (revision 0) or the
   * next revision of the same epoch: a compare-and-set at the arbiter, then a copy to every node
   * of both member lists. Throws ChangeRefusedError when another change won, or when no member
   * can be reached.
   */
  async propose(current: MembershipRecord | null, next: MembershipRecord): Promise<void> {
    const epoch = current?.epoch ?? 0;
    const revision = current?.revision ?? 0;
    const follows = next.epoch === epoch + 1 ? next.revision === 0 : next.epoch === epoch && next.revision === revision + 1;
    if (!follows) throw new Error(`record ${epoch}.${revision} cannot be followed by ${next.epoch}.${next.revision}`);
    const text = JSON.stringify(next);
    const tried: string[] = [];
    for (const arbiterId of arbitersOf(current?.members ?? next.members)) {
      const arbiter = this.ends.get(arbiterId);
      if (arbiter === undefined || !this.usable(arbiter)) {
        tried.push(`${arbiterId} (down)`);
        continue;
      }
      let answer: unknown;
      try {
        answer = await arbiter.client.eval(COMPARE_AND_SET, 1, RECORD_KEY, String(epoch), String(revision), String(next.epoch), String(next.revision), text);
      } catch (error) {
        tried.push(`${arbiterId} (${(error as Error).message})`);
        continue;
      }
      if (answer !== 'OK') {
        const winner = await readFrom(arbiter.client).catch(() => null);
        throw new ChangeRefusedError(`another change won: the membership record is at ${String(answer)}, not ${epoch}.${revision}`, winner ?? undefined);
      }
      const others = new Set([...(current?.members ?? []), ...(current?.previous ?? []), ...next.members, ...(next.previous ?? [])].map((m) => m.id));
      others.delete(arbiterId);
      // A node that misses the copy (down) is behind; read() prefers the newest record it finds.
      await Promise.allSettled(
        this.liveEnds([...others]).map((e) => e.client.eval(WRITE_IF_NEWER, 1, RECORD_KEY, String(next.epoch), String(next.revision), text)),
      );
      return;
    }
    throw new ChangeRefusedError(`no member can hold the membership record: ${tried.join(', ')}`);
  }

  /**
   * Writes `record` on every node that holds none or an older one; true when at least one took it.
   * For a record that no node holds any more (none was reachable at start, or it was flushed).
   */
  async restore(record: MembershipRecord): Promise<boolean> {
    const text = JSON.stringify(record);
    const written = await Promise.allSettled(
      this.liveEnds().map((e) => e.client.eval(WRITE_IF_NEWER, 1, RECORD_KEY, String(record.epoch), String(record.revision), text)),
    );
    return written.some((w) => w.status === 'fulfilled');
  }

  /** Says this proxy is alive for `ttlMs` more, and which epoch it has taken on; on every reachable node. */
  async heartbeat(proxyId: string, epoch: number, ttlMs: number): Promise<void> {
    const now = Date.now();
    await Promise.allSettled(
      this.liveEnds().map((e) =>
        // Heartbeats that ran out are dropped on the way, so the set stays the size of the live proxies.
        e.client.multi().zremrangebyscore(PROXIES_KEY, '-inf', now).zadd(PROXIES_KEY, now + ttlMs, proxyId).hset(ACKS_KEY, proxyId, String(epoch)).exec(),
      ),
    );
  }

  /** Takes this proxy out of the heartbeats at once (it is stopping), so no barrier waits for it. */
  async leave(proxyId: string): Promise<void> {
    await Promise.allSettled(this.liveEnds().map((e) => e.client.multi().zrem(PROXIES_KEY, proxyId).hdel(ACKS_KEY, proxyId).exec()));
  }

  /** The proxies whose heartbeat has not run out, with the epoch each acknowledged (highest seen on any node). */
  async liveProxies(): Promise<Map<string, number>> {
    const now = Date.now();
    const live = new Map<string, number>();
    const views = await Promise.allSettled(this.liveEnds().map((e) => liveOn(e.client, now)));
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
    await Promise.allSettled(this.liveEnds().map((e) => e.client.publish(ANNOUNCE_CHANNEL, String(epoch))));
  }

  /** The ends of `ids` (every known node by default) whose connection is not lost. */
  private liveEnds(ids?: readonly string[]): NodeEnd[] {
    const ends = ids === undefined ? [...this.ends.values()] : ids.flatMap((id) => this.ends.get(id) ?? []);
    return ends.filter((e) => this.usable(e));
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
