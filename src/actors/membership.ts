// MembershipActor, one per proxy: owns the member list, the ring and its epoch, the NodeActor of
// each member, and the health it hears from them; publishes every new ring as an immutable
// snapshot to the ConnectionActors that subscribed.
import { match } from 'ts-pattern';
import { Ring, type Member } from '../ring/ring.js';
import type { Actor, ActorContext, Address, Behavior } from './runtime.js';
import type { MembershipMessage, MembershipStatus, NodeStatus, Replied, RingChanged, RingSnapshot } from './messages.js';
import { oneReply } from './batch.js';
import type { ProxyEvent } from './events.js';
import { bulk } from '../protocol/encode.js';

export interface MembershipOptions {
  readonly members: readonly Member[];
  /** Starts the NodeActor for a member where the system places node actors. */
  readonly spawnNode: (member: Member, membership: Address) => Address;
  /** The host:port of a member (its id, unless the member has a name). */
  readonly addressOf: (member: Member) => string;
  /** Hears every new snapshot first (the system hands the latest to new connections). */
  readonly published: (snapshot: RingSnapshot) => void;
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
  /** Hears each node going up or down, and each ring published. */
  readonly notify?: (event: ProxyEvent) => void;
}

export function membershipBehavior(options: MembershipOptions): Behavior<MembershipMessage> {
  return { name: 'membership', create: (ctx) => new MembershipActor(ctx, options) };
}

class MembershipActor implements Actor<MembershipMessage> {
  private readonly subscribers = new Set<Address>();
  private readonly health = new Map<string, NodeStatus>();
  private snapshot: RingSnapshot;

  constructor(
    private readonly ctx: ActorContext,
    private readonly options: MembershipOptions,
  ) {
    const ring = Ring.build(options.members, 1);
    const nodes = ring.members.map((m) => options.spawnNode(m, ctx.self));
    for (const m of ring.members) this.health.set(m.id, { id: m.id, up: false, reason: 'connecting' });
    this.snapshot = { ring, nodes };
    options.published(this.snapshot);
    options.notify?.({ event: 'ring-changed', data: { epoch: ring.epoch, members: ring.members.length } });
  }

  receive(msg: MembershipMessage): void {
    match(msg)
      .with({ type: 'Subscribe' }, (m) => {
        this.subscribers.add(m.subscriber);
        this.ctx.tell(m.subscriber, changed(this.snapshot));
      })
      .with({ type: 'Unsubscribe' }, (m) => void this.subscribers.delete(m.subscriber))
      .with({ type: 'NodeHealth' }, (m) => {
        this.health.set(m.node, { id: m.node, up: m.up, reason: m.reason });
        this.options.log?.(m.up ? 'node up' : 'node down', { node: m.node, reason: m.reason });
        this.options.notify?.(m.up ? { event: 'node-up', data: { node: m.node } } : { event: 'node-down', data: { node: m.node, reason: m.reason } });
      })
      .with({ type: 'GetStatus' }, (m) => this.ctx.tell(m.replyTo, this.status()))
      .with({ type: 'Admin' }, (m) => {
        const reply = bulk(m.query === 'nodes' ? this.nodesText() : this.statusText());
        this.ctx.tell(m.replyTo, { type: 'Replied', batch: oneReply(m.slot, reply) } satisfies Replied);
      })
      .exhaustive();
  }

  /** JUPITER NODES: one line per member, `<id> address=<host:port> weight=<w> state=<up|down> share=<fraction of keys>`. */
  private nodesText(): string {
    const { ring } = this.snapshot;
    const shares = ring.keyShares();
    const line = (m: Member, i: number): string =>
      `${m.id} address=${this.options.addressOf(m)} weight=${m.weight} state=${this.health.get(m.id)?.up ? 'up' : 'down'} share=${shares[i].toFixed(4)}\n`;
    return ring.members.map(line).join('');
  }

  /** JUPITER STATUS: INFO-style lines. */
  private statusText(): string {
    const { ring } = this.snapshot;
    const up = ring.members.filter((m) => this.health.get(m.id)?.up).length;
    return `# Membership\r\nstate:stable\r\nepoch:${ring.epoch}\r\nmembers:${ring.members.length}\r\nmembers_up:${up}\r\n`;
  }

  private status(): MembershipStatus {
    return {
      epoch: this.snapshot.ring.epoch,
      nodes: this.snapshot.ring.members.map((m) => this.health.get(m.id) ?? { id: m.id, up: false }),
    };
  }
}

const changed = (snapshot: RingSnapshot): RingChanged => ({ type: 'RingChanged', snapshot });
