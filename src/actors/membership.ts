// MembershipActor, one per proxy: owns the member list (as the membership record in the nodes
// says it), the ring and its epoch, the NodeActor of each member and the PairActor of each moving
// pair; publishes every new ring as an immutable snapshot to the ConnectionActors that subscribed;
// follows the record (announcements, polling) and keeps this proxy's heartbeat in it; and runs the
// changes this proxy accepts: prepare, the barrier, go, the migrator, stable (DESIGN.md section 4).
import { match } from 'ts-pattern';
import { Ring, type Member } from '../ring/ring.js';
import type { Actor, ActorContext, Address, Behavior } from './runtime.js';
import type { ChangeOutcome, MembershipMessage, MembershipStatus, NodeStatus, Replied, RingChanged, RingInfo, RingSnapshot } from './messages.js';
import { addToBatch, oneReply, takeBatch } from './batch.js';
import type { ProxyEvent } from './events.js';
import { pairBehavior } from './pair.js';
import { bulk, encodeCommand, OK } from '../protocol/encode.js';
import { adminFailed, changeRefused } from '../protocol/errors.js';
import type { AdminQuery } from '../routing/dispatch.js';
import { applyChange, ChangeError, describeChange, type MembershipChange } from '../handoff/change.js';
import type { Control } from '../handoff/control.js';
import type { Handoff } from '../handoff/handoff.js';
import { ChangeRefusedError, newer, type EjectedMember, type MembershipRecord, type RecordMember } from '../handoff/record.js';
import { answersProbe, countHints, dropHints, readHints } from '../handoff/hints.js';
import { copyScriptsAndFunctions } from '../handoff/scripts.js';

export interface MembershipSettings {
  /** This proxy's id in the record's heartbeats. */
  readonly proxyId: string;
  readonly heartbeatMs: number;
  /** How long prepare waits for every live proxy to acknowledge before the change is abandoned. */
  readonly ackTimeoutMs: number;
  /** How long a barrier PING through a node may take. */
  readonly fenceTimeoutMs: number;
  /** Taking failed nodes out of the ring and back (config eject). */
  readonly eject: { readonly enabled: boolean; readonly retryTimeoutMs: number; readonly hintLimit: number };
}

export interface MembershipOptions {
  /** The record found at start (or the configured members when none could be read or written). */
  readonly initial: MembershipRecord;
  /** false: the record could not be read or written at start; changes wait until it can. */
  readonly recorded: boolean;
  readonly settings: MembershipSettings;
  readonly control: Control;
  readonly handoff: Handoff;
  /** Starts the NodeActor for a member where the system places node actors. */
  readonly spawnNode: (member: RecordMember, membership: Address) => Address;
  /** Stops a NodeActor started by spawnNode, wherever it was placed. */
  readonly stopNode: (actor: Address) => void;
  /** Hears every new snapshot first (the system hands the latest to new connections). */
  readonly published: (snapshot: RingSnapshot) => void;
  readonly log?: (level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown>) => void;
  /** Hears each node going up or down, each ring published, and handoff progress. */
  readonly notify?: (event: ProxyEvent) => void;
}

export function membershipBehavior(options: MembershipOptions): Behavior<MembershipMessage> {
  return { name: 'membership', create: (ctx) => new MembershipActor(ctx, options) };
}

interface NodeEntry {
  readonly address: string;
  readonly actor: Address;
  /** What this actor last reported of its node. */
  health: NodeStatus;
}

interface PairEntry {
  readonly epoch: number;
  readonly actor: Address;
}

// After a handoff ends, a pair lives on this long for requests its connections sent before they
// took the stable ring.
const PAIR_GRACE_MS = 30_000;
// A NodeActor whose node left the ring (removed, ejected, readdressed) lives on as long, for the
// requests connections route with the ring they had: a stopped actor's mail would be lost.
const NODE_GRACE_MS = PAIR_GRACE_MS;

/** A NodeActor no longer in the ring, stopped once its grace ends unless its node comes back first. */
interface RetiringNode {
  readonly id: string;
  readonly entry: NodeEntry;
  readonly timer: NodeJS.Timeout;
}

class MembershipActor implements Actor<MembershipMessage> {
  private readonly subscribers = new Set<Address>();
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly pairs = new Map<string, PairEntry>();
  private readonly retiring = new Set<RetiringNode>();
  private record: MembershipRecord;
  private recorded: boolean;
  private snapshot!: RingSnapshot;
  /** The plain ring of the record's members (shares, NODES), without pair indices. */
  private ring!: Ring;
  /** The newest epoch whose prepare this proxy has acknowledged. */
  private acked = 0;
  private fencing = 0;
  private driving = false;
  private progress = { moved: 0, total: 0 };
  /** Ejected members being probed now, and when each was last probed. */
  private readonly probing = new Set<string>();
  private readonly probedAt = new Map<string, number>();
  /** Ejections seen in the records followed since start (for metrics). */
  private ejections = 0;
  /** Members with a liveness PING in flight (ejection on). */
  private readonly pinging = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly ctx: ActorContext,
    private readonly options: MembershipOptions,
  ) {
    this.record = options.initial;
    this.recorded = options.recorded;
    // A proxy that starts mid-handoff takes the barrier as passed: the others are past prepare.
    this.acked = options.initial.state === 'prepare' ? options.initial.epoch - 1 : options.initial.epoch;
    this.apply(options.initial);
    options.notify?.({ event: 'ring-changed', data: { epoch: this.record.epoch, members: this.record.members.length } });
    const { heartbeatMs } = options.settings;
    this.timer = setInterval(() => ctx.tell(ctx.self, TICK), heartbeatMs);
    this.timer.unref();
    this.tick();
  }

  receive(msg: MembershipMessage): void {
    match(msg)
      .with({ type: 'Subscribe' }, (m) => {
        this.subscribers.add(m.subscriber);
        this.ctx.tell(m.subscriber, changed(this.snapshot));
      })
      .with({ type: 'Unsubscribe' }, (m) => void this.subscribers.delete(m.subscriber))
      .with({ type: 'NodeHealth' }, (m) => {
        const entry = this.entryOf(m.node, m.actor);
        if (entry === undefined) return;
        entry.health = { id: m.node, up: m.up, reason: m.reason };
        // A retiring actor of a member now served at another address speaks for the old address only.
        if (this.replaced(m.node, m.actor)) return;
        this.options.control.setFailing(m.node, !m.up);
        this.log(m.up ? 'info' : 'warn', m.up ? 'node up' : 'node down', { node: m.node, reason: m.reason });
        this.options.notify?.(m.up ? { event: 'node-up', data: { node: m.node } } : { event: 'node-down', data: { node: m.node, reason: m.reason } });
      })
      .with({ type: 'NodeFailing' }, (m) => {
        if (!this.replaced(m.node, m.actor)) this.nodeFailing(m.node);
      })
      .with({ type: 'GetStatus' }, (m) => this.ctx.tell(m.replyTo, this.status()))
      .with({ type: 'GetRing' }, (m) => this.ctx.tell(m.replyTo, this.ringInfo()))
      .with({ type: 'Admin' }, (m) => this.admin(m.query, m.replyTo, m.slot))
      .with({ type: 'Change' }, (m) => {
        void this.change(m.change).then((refused) => this.ctx.tell(m.replyTo, { refused } satisfies ChangeOutcome));
      })
      .with({ type: 'RecordSeen' }, (m) => {
        if (newer(m.record, this.record)) this.apply(m.record);
      })
      .with({ type: 'Fenced' }, (m) => {
        if (m.epoch <= this.acked) return;
        this.acked = m.epoch;
        this.heartbeat();
      })
      .with({ type: 'Tick' }, () => this.tick())
      .with({ type: 'Progress' }, (m) => {
        this.progress = { moved: m.moved, total: m.total };
        this.options.notify?.({ event: 'handoff-progress', data: { epoch: this.record.epoch, moved: m.moved, total: m.total } });
      })
      .with({ type: 'Retired' }, (m) => {
        for (const old of this.retiring) {
          if (old.entry.actor !== m.actor) continue;
          this.retiring.delete(old);
          this.options.stopNode(old.entry.actor);
        }
      })
      .with({ type: 'Driven' }, (m) => {
        this.driving = false;
        if (m.error !== undefined) this.log('error', 'the handoff stopped', { epoch: this.record.epoch, err: m.error });
      })
      .exhaustive();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const pair of this.pairs.values()) this.ctx.runtime.stop(pair.actor);
    for (const node of this.nodes.values()) this.options.stopNode(node.actor);
    for (const old of this.retiring) {
      clearTimeout(old.timer);
      this.options.stopNode(old.entry.actor);
    }
    const { control } = this.options;
    void control.store.leave(this.options.settings.proxyId).finally(() => control.close());
  }

  private log(level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown>): void {
    this.options.log?.(level, event, fields);
  }

  // Following the record.

  /** Takes on a record: NodeActors for its nodes, pairs while keys move, and the ring to publish. */
  private apply(record: MembershipRecord): void {
    const before = this.record;
    this.record = record;
    const moving = record.state !== 'stable' && record.previous !== undefined;
    const involved = [...record.members, ...(moving ? record.previous! : [])];
    this.options.control.ensure(involved);
    for (const m of involved) this.ensureNode(m);

    this.ring = Ring.build(record.members.map(member), record.epoch);
    let routing: Ring = this.ring;
    const nodes = this.ring.members.map((m) => this.nodes.get(m.id)!.actor);
    if (moving) {
      const previous = Ring.build(record.previous!.map(member), record.epoch - 1);
      const transition = this.ring.transitionFrom(previous, new Set(record.drained ?? []));
      routing = transition.ring;
      for (const p of transition.pairs) nodes.push(this.ensurePair(record, p.from, p.to));
    }
    // Pairs of an earlier epoch (the change is over, or was abandoned) send what they hold on.
    for (const [key, pair] of this.pairs) {
      if (pair.epoch === record.epoch && moving) continue;
      this.ctx.tell(pair.actor, record.abandoned === true && pair.epoch < record.epoch ? ABANDON : GO);
      this.pairs.delete(key);
      const { runtime } = this.ctx;
      setTimeout(() => runtime.stop(pair.actor), PAIR_GRACE_MS).unref();
    }
    const ejected = record.ejected ?? [];
    const wasOut = new Set((before.ejected ?? []).map((e) => e.id));
    this.ejections += ejected.filter((e) => !wasOut.has(e.id)).length;
    this.snapshot = {
      ring: routing,
      nodes,
      ejected: ejected.length === 0 ? null : { ring: Ring.build([...record.members, ...ejected].map(member), record.epoch), ids: new Set(ejected.map((e) => e.id)) },
    };
    this.options.published(this.snapshot);
    for (const s of this.subscribers) this.ctx.tell(s, changed(this.snapshot));

    // NodeActors of nodes no longer involved stop once no connection can route to them.
    const keep = new Set(involved.map((m) => m.id));
    for (const [id, node] of this.nodes) {
      if (keep.has(id)) continue;
      this.nodes.delete(id);
      this.retire(id, node);
    }
    this.options.control.retain(keep);

    if (record.state === 'prepare' && this.acked < record.epoch) this.fence(record, previousRingOf(record));
    else if (record.state !== 'prepare') this.acked = Math.max(this.acked, record.epoch);
    if (before.epoch !== record.epoch || before.state !== record.state) {
      this.log('info', 'membership', { epoch: record.epoch, state: record.state, members: record.members.map((m) => m.id), change: record.change, abandoned: record.abandoned });
      this.options.notify?.({ event: 'ring-changed', data: { epoch: record.epoch, members: record.members.length } });
    }
  }

  private ensureNode(m: RecordMember): void {
    const known = this.nodes.get(m.id);
    if (known?.address === m.address) return;
    // A new address (REPLACENODE) is a new NodeActor: the old one serves what was routed to it first.
    if (known !== undefined) this.retire(m.id, known);
    // A node back within its actor's grace (a returning ejected node) gets the same actor back, with
    // its connections and the health it last reported.
    for (const old of this.retiring) {
      if (old.id !== m.id || old.entry.address !== m.address) continue;
      clearTimeout(old.timer);
      this.retiring.delete(old);
      this.nodes.set(m.id, old.entry);
      return;
    }
    const actor = this.options.spawnNode(m, this.ctx.self);
    this.nodes.set(m.id, { address: m.address, actor, health: { id: m.id, up: false, reason: 'connecting' } });
  }

  /** The entry of the NodeActor `actor` of member `id`: its current one, or one retiring. */
  private entryOf(id: string, actor: Address): NodeEntry | undefined {
    const current = this.nodes.get(id);
    if (current?.actor === actor) return current;
    for (const old of this.retiring) if (old.entry.actor === actor) return old.entry;
    return undefined;
  }

  private healthOf(id: string): NodeStatus | undefined {
    return this.nodes.get(id)?.health;
  }

  /** Whether `actor` is a retiring NodeActor of a member served by another one now (its old address). */
  private replaced(id: string, actor: Address): boolean {
    const current = this.nodes.get(id);
    return current !== undefined && current.actor !== actor;
  }

  /** Stops `node`'s actor after NODE_GRACE_MS, unless its member comes back meanwhile. */
  private retire(id: string, node: NodeEntry): void {
    // It keeps reporting its health until it stops: a node back meanwhile is up or down as it was.
    const retiring: RetiringNode = {
      id,
      entry: node,
      timer: setTimeout(() => this.ctx.tell(this.ctx.self, { type: 'Retired', actor: node.actor }), NODE_GRACE_MS),
    };
    retiring.timer.unref();
    this.retiring.add(retiring);
  }

  private ensurePair(record: MembershipRecord, from: string, to: string): Address {
    const key = `${record.epoch}:${from}>${to}`;
    const known = this.pairs.get(key);
    if (known !== undefined) {
      if (record.state === 'handoff') this.ctx.tell(known.actor, GO);
      return known.actor;
    }
    const actor = this.ctx.runtime.spawn(
      pairBehavior({
        from,
        to,
        fromNode: this.nodes.get(from)!.actor,
        toNode: this.nodes.get(to)!.actor,
        handoff: this.options.handoff,
        holding: record.state === 'prepare',
      }),
    );
    this.pairs.set(key, { epoch: record.epoch, actor });
    return actor;
  }

  /**
   * The barrier of a prepare: every connection has taken the new ring by the next turn (the
   * runtime drains what was told in this one), and then a PING through each losing node's queue
   * comes back only after every request sent to it under the old ring.
   */
  private fence(record: MembershipRecord, previous: Ring | null): void {
    if (this.fencing === record.epoch) return;
    this.fencing = record.epoch;
    const losing = previous === null ? [] : [...new Set(this.ring.transitionFrom(previous).pairs.map((p) => p.from))];
    const { runtime } = this.ctx;
    const timeout = this.options.settings.fenceTimeoutMs;
    setImmediate(() => {
      const pings = losing.flatMap((id) => {
        const node = this.nodes.get(id);
        if (node === undefined) return [];
        return [runtime.ask(node.actor, (replyTo) => ({ type: 'Route', replyTo, batch: pingBatch() }), timeout).catch(() => undefined)];
      });
      void Promise.all(pings).then(() => this.ctx.tell(this.ctx.self, { type: 'Fenced', epoch: record.epoch }));
    });
  }

  private tick(): void {
    if (this.stopped) return;
    this.heartbeat();
    this.pingMembers();
    this.probeEjected();
    const { store } = this.options.control;
    void store
      .read()
      .then(async (found) => {
        if (found === null) return this.seed();
        this.ctx.tell(this.ctx.self, { type: 'RecordSeen', record: found });
        if (!this.recorded) this.recorded = true;
        await this.takeOver(found);
      })
      .catch((error: unknown) => this.log('warn', 'reading the membership record failed', { err: (error as Error).message }));
  }

  private heartbeat(): void {
    if (this.stopped) return;
    const { proxyId, heartbeatMs } = this.options.settings;
    void this.options.control.store.heartbeat(proxyId, this.acked, heartbeatMs * 3).catch(() => undefined);
  }

  /** No node holds a record (none could be written at start, or FLUSHALL removed it): write ours back. */
  private async seed(): Promise<void> {
    const { store } = this.options.control;
    if (await store.restore(this.record)) this.recorded = true;
  }

  /** A handoff whose driver is gone is resumed here; a prepare whose driver is gone is abandoned. */
  private async takeOver(record: MembershipRecord): Promise<void> {
    if (this.driving || record.state === 'stable' || record.driver === this.options.settings.proxyId) return;
    const { store } = this.options.control;
    const live = await store.liveProxies();
    if (record.driver !== undefined && live.has(record.driver)) return;
    if (record.state === 'prepare' && Date.now() - record.changedAt < this.options.settings.ackTimeoutMs * 2) return;
    this.driving = true;
    const resume = async (): Promise<void> => {
      if (record.state === 'prepare') return this.abandon(record, 'its proxy stopped before every proxy acknowledged');
      const mine = { ...record, revision: record.revision + 1, driver: this.options.settings.proxyId };
      await this.write(record, mine);
      this.log('info', 'resuming a handoff whose proxy stopped', { epoch: record.epoch, driver: record.driver });
      await this.migrate(mine);
    };
    resume().then(
      () => this.ctx.tell(this.ctx.self, { type: 'Driven' }),
      (error: unknown) => this.ctx.tell(this.ctx.self, { type: 'Driven', error: (error as Error).message }),
    );
  }

  // Changes.

  /** Starts a change; resolves with null once accepted (the handoff runs on) or with why it was refused. */
  private async change(change: MembershipChange): Promise<string | null> {
    const current = this.record;
    const text = describeChange(change);
    if (!this.recorded) return 'membership changes need the membership record, and no node could be reached to hold it; try again once a node is up';
    if (current.state !== 'stable' || this.driving) return this.overtaken(text);
    if (change.op === 'remove' && current.ejected?.some((e) => e.id === change.node || e.address === change.node)) return this.forget(current, change.node, text);
    let members: RecordMember[];
    try {
      members = applyChange(current.members, change);
    } catch (error) {
      if (error instanceof ChangeError) return `${text}: ${error.message}`;
      throw error;
    }
    const prepare: MembershipRecord = {
      epoch: current.epoch + 1,
      revision: 0,
      members,
      state: 'prepare',
      previous: current.members,
      drained: [],
      change: text,
      driver: this.options.settings.proxyId,
      changedAt: Date.now(),
      ...ejectedAfter(current, change),
    };
    this.options.control.ensure(members);
    // A node that does not answer would take its share of the keys into a hole: refuse it now.
    for (const m of members) {
      if (current.members.some((c) => c.address === m.address)) continue;
      const unreachable = await this.options.control.ping(m.id, this.options.settings.fenceTimeoutMs);
      // Another change may have been taken on while the PING ran (it also drops clients it does not need).
      if (this.record !== current) return this.overtaken(text);
      if (unreachable !== null) {
        this.options.control.retain(new Set(involvedIn(current).map((c) => c.id)));
        return `${text}: ${m.address} does not answer PING (${unreachable})`;
      }
      // It gets the cluster's scripts and functions before it owns a key.
      const refused = await this.giveCode(current.members, m);
      if (this.record !== current) return this.overtaken(text);
      if (refused !== null) {
        this.options.control.retain(new Set(involvedIn(current).map((c) => c.id)));
        return `${text}: ${m.address} did not take the cluster's scripts and functions (${refused})`;
      }
    }
    this.driving = true;
    try {
      await this.write(current, prepare);
    } catch (error) {
      this.driving = false;
      if (!(error instanceof ChangeRefusedError)) throw error;
      const winner = error.current;
      if (winner === undefined) return `${text}: ${error.message}`;
      this.ctx.tell(this.ctx.self, { type: 'RecordSeen', record: winner });
      return `${text}: another membership change won: ${winner.change ?? 'a change'} (epoch ${winner.epoch})`;
    }
    this.log('info', 'membership change accepted', { change: text, epoch: prepare.epoch });
    this.drive(prepare).then(
      () => this.ctx.tell(this.ctx.self, { type: 'Driven' }),
      (error: unknown) => this.ctx.tell(this.ctx.self, { type: 'Driven', error: (error as Error).message }),
    );
    return null;
  }

  // Ejection (config eject): a failing member leaves the ring, and comes back once it answers.

  private nodeFailing(id: string): void {
    const r = this.record;
    if (!this.options.settings.eject.enabled || this.driving || r.state !== 'stable' || !r.members.some((m) => m.id === id)) return;
    // Never the last member that answers: its keys would have nowhere to go.
    if (!r.members.some((m) => m.id !== id && this.healthOf(m.id)?.up === true)) return;
    this.driving = true;
    // Failing: the record is neither decided nor copied there (a frozen node would hold the write up).
    this.options.control.setFailing(id, true);
    const gone = r.members.find((m) => m.id === id)!;
    const next: MembershipRecord = {
      epoch: r.epoch + 1,
      revision: 0,
      members: r.members.filter((m) => m !== gone),
      state: 'stable',
      change: describeChange({ op: 'eject', node: id }),
      ejected: [...(r.ejected ?? []), { ...gone, since: Date.now() }],
      changedAt: Date.now(),
    };
    this.write(r, next).then(
      () => {
        this.log('warn', 'node ejected', { node: id, epoch: next.epoch, retryInMs: this.options.settings.eject.retryTimeoutMs });
        this.ctx.tell(this.ctx.self, { type: 'Driven' });
      },
      // Another proxy ejected it first, or made another change: that record is followed.
      (error: unknown) => this.ctx.tell(this.ctx.self, { type: 'Driven', error: error instanceof ChangeRefusedError ? undefined : (error as Error).message }),
    );
  }

  /**
   * With ejection on, a PING through each member's queue every heartbeat: a node that stops
   * answering while no client asks it anything (frozen, its connection still open) still fails
   * requests, so its NodeActor counts it toward eject.failureLimit. One PING in flight per member.
   */
  private pingMembers(): void {
    if (!this.options.settings.eject.enabled) return;
    for (const m of this.record.members) {
      const node = this.nodes.get(m.id);
      if (node === undefined || this.pinging.has(m.id)) continue;
      this.pinging.add(m.id);
      const done = () => this.pinging.delete(m.id);
      void this.ctx.runtime
        .ask(node.actor, (replyTo) => ({ type: 'Route', replyTo, batch: pingBatch() }), PING_ANSWER_MS)
        .then(done, done);
    }
  }

  /** Ejected members whose retry time has come are asked PING and a read; one that answers comes back. */
  private probeEjected(): void {
    const { eject } = this.options.settings;
    const r = this.record;
    if (!eject.enabled || r.ejected === undefined || r.state !== 'stable' || this.driving) return;
    const now = Date.now();
    for (const e of r.ejected) {
      if (this.probing.has(e.id) || now - Math.max(e.since, this.probedAt.get(e.id) ?? 0) < eject.retryTimeoutMs) continue;
      this.probing.add(e.id);
      this.probedAt.set(e.id, now);
      void answersProbe(e.address, this.options.settings.fenceTimeoutMs, this.options.control.accessOf(e.address)).then(async (answered: boolean) => {
        this.probing.delete(e.id);
        this.log('info', 'ejected node probed', { node: e.id, answered });
        if (!answered || this.stopped) return;
        const refused = await this.change({ op: 'return', member: { id: e.id, address: e.address, weight: e.weight } }).catch((error: unknown) => (error as Error).message);
        if (refused !== null) this.log('info', 'ejected node not brought back yet', { node: e.id, why: refused });
      });
    }
  }

  /** REMOVENODE of an ejected member: it is forgotten, with its hints; no key moves. */
  private async forget(current: MembershipRecord, node: string, text: string): Promise<string | null> {
    const gone = current.ejected!.find((e) => e.id === node || e.address === node)!;
    const next: MembershipRecord = {
      ...current,
      epoch: current.epoch + 1,
      revision: 0,
      change: text,
      ejected: current.ejected!.filter((e) => e !== gone),
      changedAt: Date.now(),
    };
    try {
      await this.write(current, next);
    } catch (error) {
      if (error instanceof ChangeRefusedError) return `${text}: ${error.message}`;
      throw error;
    }
    await dropHints(this.options.control, current.members, gone.id);
    return null;
  }

  /**
   * Deletes the returning member's copy of every key written while it was out (the hints every
   * member holds); when hints overflowed or cannot all be read, flushes it instead.
   */
  private async clearStaleCopies(record: MembershipRecord): Promise<void> {
    const id = record.returning!;
    const { control } = this.options;
    const target = control.dataEnd(id)?.client;
    if (target === undefined) return;
    const hints = await readHints(control, record.previous ?? [], id);
    if (hints === null) {
      this.log('warn', 'flushing a returning node: its hints overflowed eject.hintLimit or could not all be read', { node: id });
      await target.flushdb();
      return;
    }
    for (let at = 0; at < hints.length; at += 1000) await target.unlink(...hints.slice(at, at + 1000));
    this.log('info', 'deleted the stale copies of a returning node', { node: id, keys: hints.length });
  }

  /** Copies the scripts and functions of a member that answers to a joining node; null once done, else why not. */
  private async giveCode(members: readonly RecordMember[], joining: RecordMember): Promise<string | null> {
    const { control } = this.options;
    const to = control.codeEnds(joining.id);
    for (const m of members) {
      const from = control.codeEnds(m.id);
      if (from === undefined || to === undefined || (await control.ping(m.id, this.options.settings.fenceTimeoutMs)) !== null) continue;
      try {
        await copyScriptsAndFunctions(from, to);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    }
    // No member answers: nothing to copy from, and nothing for the handoff to move either.
    return null;
  }

  /** Why `text` cannot start: the record's own change is running (or has just been taken on). */
  private overtaken(text: string): string {
    const r = this.record;
    if (r.state === 'stable' && !this.driving) return `${text}: another membership change won: ${r.change ?? 'a change'} (epoch ${r.epoch})`;
    return `a membership change is running: ${r.change ?? 'a handoff'} (epoch ${r.epoch}, state ${r.state}); try again once JUPITER STATUS says state:stable`;
  }

  /** Writes `next` over `current` (compare-and-set), announces it, and takes it on here. */
  private async write(current: MembershipRecord, next: MembershipRecord): Promise<void> {
    const { store } = this.options.control;
    await store.propose(current, next);
    this.ctx.tell(this.ctx.self, { type: 'RecordSeen', record: next });
    await store.announce(next.epoch);
  }

  /** Prepare, barrier, go, migrate, stable; or abandon when the barrier times out. */
  private async drive(prepare: MembershipRecord): Promise<void> {
    const { store } = this.options.control;
    try {
      await store.acknowledged(prepare.epoch, this.options.settings.ackTimeoutMs);
    } catch (error) {
      if (!(error instanceof ChangeRefusedError)) throw error;
      return this.abandon(prepare, error.message);
    }
    // A member coming back loses its copies of the keys written while it was out, before any moves to it.
    if (prepare.returning !== undefined) await this.clearStaleCopies(prepare);
    const go: MembershipRecord = { ...prepare, revision: 1, state: 'handoff' };
    await this.write(prepare, go);
    await this.migrate(go);
  }

  private async abandon(record: MembershipRecord, why: string): Promise<void> {
    this.log('warn', 'membership change abandoned', { change: record.change, epoch: record.epoch, why });
    const back: MembershipRecord = {
      epoch: record.epoch + 1,
      revision: 0,
      members: record.previous ?? record.members,
      state: 'stable',
      change: record.change,
      abandoned: true,
      changedAt: Date.now(),
      // A return abandoned leaves the member ejected, as it was.
      ejected: record.returning === undefined ? record.ejected : [...(record.ejected ?? []), ...ejectedAgain(record)],
    };
    await this.write(record, back);
  }

  /** Drains every old owner that loses keys, recording each in the record, then makes the epoch stable. */
  private async migrate(start: MembershipRecord): Promise<void> {
    const { handoff } = this.options;
    const previous = previousRingOf(start)!;
    const next = Ring.build(start.members.map(member), start.epoch);
    const losing = [...new Set(next.transitionFrom(previous).pairs.map((p) => p.from))];
    let record = start;
    const total = await this.estimate(record, losing, previous, next);
    let moved = record.keysMoved ?? 0;
    this.ctx.tell(this.ctx.self, { type: 'Progress', moved, total });
    for (const from of losing) {
      if (record.drained?.includes(from)) continue;
      let skipped = false;
      const base = moved;
      for (let attempt = 1; ; attempt++) {
        try {
          await handoff.drain(from, previous, next, (p) => {
            moved = base + p.moved + p.keptNewer;
            this.ctx.tell(this.ctx.self, { type: 'Progress', moved, total });
          });
          break;
        } catch (error) {
          this.log('warn', 'draining an old owner failed', { node: from, attempt, err: (error as Error).message });
          if (attempt >= 3) {
            // A node that died mid-handoff: its keys become misses, and the handoff still ends.
            skipped = true;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        }
      }
      const drained: MembershipRecord = {
        ...record,
        revision: record.revision + 1,
        drained: [...(record.drained ?? []), from],
        skipped: skipped ? [...(record.skipped ?? []), from] : record.skipped,
        keysMoved: moved,
        keysTotalEstimate: total,
      };
      await this.write(record, drained);
      record = drained;
    }
    const stable: MembershipRecord = {
      epoch: record.epoch,
      revision: record.revision + 1,
      members: record.members,
      state: 'stable',
      change: record.change,
      skipped: record.skipped,
      keysMoved: moved,
      keysTotalEstimate: total,
      changedAt: record.changedAt,
      ejected: record.ejected,
    };
    await this.write(record, stable);
    if (record.returning !== undefined) {
      await dropHints(this.options.control, record.members, record.returning);
      this.log('info', 'node returned', { node: record.returning, epoch: record.epoch });
    }
  }

  /** Keys the old owners hold times the share of their hash space that moves. */
  private async estimate(record: MembershipRecord, losing: readonly string[], previous: Ring, next: Ring): Promise<number> {
    if (record.keysTotalEstimate !== undefined) return record.keysTotalEstimate;
    const ranges = previous.movedRanges(next);
    const shares = previous.keyShares();
    let total = 0;
    for (const from of losing) {
      const end = this.options.control.dataEnd(from);
      const size = await end?.client.dbsize().catch(() => 0);
      const movedShare = ranges.filter((r) => r.from === from).reduce((s, r) => s + (r.end - r.start + 1) / 2 ** 32, 0);
      const share = shares[previous.members.findIndex((m) => m.id === from)];
      total += Math.round((size ?? 0) * Math.min(1, movedShare / share));
    }
    return total;
  }

  // Answers.

  private admin(query: AdminQuery, replyTo: Address, slot: number): void {
    const answer = (bytes: Uint8Array): void => this.ctx.tell(replyTo, { type: 'Replied', batch: oneReply(slot, bytes) } satisfies Replied);
    // Every query is answered, with an error if building the text failed, so no client waits forever.
    const failed = (error: unknown) => answer(adminFailed(query.op, (error as Error).message));
    match(query)
      .with({ op: 'nodes' }, () => void this.nodesText().then((text) => answer(bulk(text)), failed))
      .with({ op: 'status' }, () => void this.statusText().then((text) => answer(bulk(text)), failed))
      .with({ op: 'change' }, (q) =>
        void this.change(q.change).then(
          (refused) => answer(refused === null ? OK : changeRefused(refused)),
          (error: unknown) => answer(changeRefused(`${describeChange(q.change)}: ${(error as Error).message}`)),
        ),
      )
      .exhaustive();
  }

  /**
   * JUPITER NODES: one line per member, `<id> address=<host:port> weight=<w> state=<up|down> share=<fraction of keys>`,
   * then one per ejected member, `state=ejected since=<unix time> hints=<keys written meanwhile>`.
   */
  private async nodesText(): Promise<string> {
    // One ring and record throughout: the hint counts are awaited, and a change may land meanwhile.
    const { ring, record } = this;
    const shares = ring.keyShares();
    const address = new Map(record.members.map((m) => [m.id, m.address]));
    const members = ring.members.map(
      (m, i) => `${m.id} address=${address.get(m.id)} weight=${m.weight} state=${this.healthOf(m.id)?.up ? 'up' : 'down'} share=${shares[i].toFixed(4)}\n`,
    );
    const ejected = await Promise.all(
      (record.ejected ?? []).map(async (e) => {
        const hints = await countHints(this.options.control, record.members, e.id);
        return `${e.id} address=${e.address} weight=${e.weight} state=ejected share=0.0000 since=${Math.floor(e.since / 1000)} hints=${hints}\n`;
      }),
    );
    return members.join('') + ejected.join('');
  }

  /** JUPITER STATUS: INFO-style lines. */
  private async statusText(): Promise<string> {
    const r = this.record;
    const live = await this.options.control.store.liveProxies().catch(() => new Map<string, number>());
    const acknowledged = [...live.values()].filter((epoch) => epoch >= r.epoch).length;
    const up = r.members.filter((m) => this.healthOf(m.id)?.up).length;
    const moving = r.state !== 'stable';
    const moved = this.driving ? this.progress.moved : (r.keysMoved ?? 0);
    const lines = [
      '# Membership',
      `state:${r.state}`,
      `epoch:${r.epoch}`,
      `members:${r.members.length}`,
      `members_up:${up}`,
      `proxies:${acknowledged}`,
      `change:${r.change ?? ''}`,
      `started_at:${moving ? Math.floor(r.changedAt / 1000) : ''}`,
      `keys_moved:${moved}`,
      `keys_total_estimate:${this.driving ? this.progress.total : (r.keysTotalEstimate ?? 0)}`,
      `drained:${(r.drained ?? []).join(',')}`,
      `skipped:${(r.skipped ?? []).join(',')}`,
      `abandoned:${r.abandoned === true ? 1 : 0}`,
      `move_method:${this.options.handoff.method}`,
      `move_failures:${this.options.handoff.premoveFailures}`,
      `record:${this.recorded ? 'ok' : 'unreachable'}`,
      `ejected:${(r.ejected ?? []).map((e) => `${e.id}@${Math.floor(e.since / 1000)}`).join(',')}`,
    ];
    return lines.join('\r\n') + '\r\n';
  }

  private ringInfo(): RingInfo {
    const shares = this.ring.keyShares();
    const address = new Map(this.record.members.map((m) => [m.id, m.address]));
    return {
      epoch: this.record.epoch,
      state: this.record.state,
      members: this.ring.members.map((m, i) => ({
        id: m.id,
        address: address.get(m.id)!,
        weight: m.weight,
        share: shares[i],
        up: this.healthOf(m.id)?.up ?? false,
      })),
    };
  }

  private status(): MembershipStatus {
    return {
      epoch: this.record.epoch,
      state: this.record.state,
      nodes: this.ring.members.map((m) => this.healthOf(m.id) ?? { id: m.id, up: false }),
      ejected: (this.record.ejected ?? []).map((e) => ({ id: e.id, since: e.since })),
      ejections: this.ejections,
      handoff: {
        keysMoved: this.driving ? this.progress.moved : (this.record.keysMoved ?? 0),
        keysTotalEstimate: this.driving ? this.progress.total : (this.record.keysTotalEstimate ?? 0),
      },
    };
  }
}

const member = (m: RecordMember): Member => ({ id: m.id, weight: m.weight });

/** What a change does to the ejected list: a returning member leaves it (and is named). */
function ejectedAfter(current: MembershipRecord, change: MembershipChange): Pick<MembershipRecord, 'ejected' | 'returning'> {
  if (change.op !== 'return') return { ejected: current.ejected };
  return { ejected: current.ejected?.filter((e) => e.id !== change.member.id), returning: change.member.id };
}

/** The returning member of an abandoned return, ejected again from now. */
function ejectedAgain(record: MembershipRecord): EjectedMember[] {
  const back = record.members.find((m) => m.id === record.returning);
  return back === undefined ? [] : [{ ...back, since: Date.now() }];
}
const involvedIn = (r: MembershipRecord): readonly RecordMember[] => [...r.members, ...(r.previous ?? [])];
const previousRingOf = (r: MembershipRecord): Ring | null => (r.previous === undefined ? null : Ring.build(r.previous.map(member), r.epoch - 1));
const changed = (snapshot: RingSnapshot): RingChanged => ({ type: 'RingChanged', snapshot });
const TICK: MembershipMessage = { type: 'Tick' };
const GO = { type: 'Go' } as const;
const ABANDON = { type: 'Abandon' } as const;
const PING = encodeCommand(['PING']);

/** A NodeActor answers every request (a reply, or an error at backend.requestTimeoutMs); this only guards against a lost actor. */
const PING_ANSWER_MS = 60_000;

function pingBatch() {
  const batch = takeBatch();
  addToBatch(batch, 0, -1, PING);
  return batch;
}
