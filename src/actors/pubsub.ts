// PubSubActor, one per proxy: the fan-out of Pub/Sub inside jupiter. Clients subscribe here;
// each NodeActor keeps one subscriber connection to its node, carrying the subscriptions of every
// client (1,000 subscribers to a channel cost one backend subscription). A channel (and a shard
// channel) is subscribed on the node that owns its name on the ring, where PUBLISH goes; a pattern
// on every node. The messages a node pushes are sent to each subscribed client as they came.
//
// A subscription is confirmed to its client once its node has confirmed it, so a client that
// publishes after its SUBSCRIBE was answered is heard; a node that does not answer in time (down)
// does not hold the client up: it is confirmed anyway and subscribed again when the node is back.
import { match } from 'ts-pattern';
import { decodeReply, type Reply } from '../protocol/decode.js';
import { encodeCommand } from '../protocol/encode.js';
import { Ring } from '../ring/ring.js';
import { ownerOfKey } from '../routing/hashkey.js';
import { oneReply } from './batch.js';
import type { PubSubKind } from '../routing/dispatch.js';
import type { ConnectionMessage, NodeMessage, PubSubMessage, Replied, RingSnapshot } from './messages.js';
import type { Actor, ActorContext, Address, Behavior } from './runtime.js';

export interface PubSubOptions {
  /** The MembershipActor, whose ring snapshots say which node owns a channel. */
  readonly membership: Address;
  readonly hashTags: boolean;
  /** How long a subscription waits for its node's confirmation before it is confirmed anyway. */
  readonly confirmTimeoutMs: number;
}

export function pubsubBehavior(options: PubSubOptions): Behavior<PubSubMessage> {
  return { name: 'pubsub', create: (ctx) => new PubSubActor(ctx, options) };
}

/** The backend commands of each kind, and the words its pushes carry. */
const WORDS = {
  channel: { subscribe: 'SUBSCRIBE', unsubscribe: 'UNSUBSCRIBE', confirmed: 'subscribe', message: 'message' },
  pattern: { subscribe: 'PSUBSCRIBE', unsubscribe: 'PUNSUBSCRIBE', confirmed: 'psubscribe', message: 'pmessage' },
  shard: { subscribe: 'SSUBSCRIBE', unsubscribe: 'SUNSUBSCRIBE', confirmed: 'ssubscribe', message: 'smessage' },
} as const;
const KINDS: readonly PubSubKind[] = ['channel', 'pattern', 'shard'];
const kindOfWord = new Map<string, PubSubKind>(KINDS.flatMap((k) => [[WORDS[k].confirmed, k] as const, [WORDS[k].message, k] as const]));

/** A client's subscription request waiting for its nodes to confirm. */
interface Waiting {
  readonly replyTo: Address;
  readonly slot: number;
  readonly reply: Uint8Array;
  /** `node/kind/name` still to be confirmed. */
  readonly left: Set<string>;
  readonly timer: NodeJS.Timeout;
}

class PubSubActor implements Actor<PubSubMessage> {
  /** Who listens to each name, by kind. */
  private readonly listeners: Record<PubSubKind, Map<string, Set<Address>>> = { channel: new Map(), pattern: new Map(), shard: new Map() };
  /** What each node is subscribed to, by kind (names as latin1 strings of their bytes). */
  private readonly subscribed = new Map<Address, Record<PubSubKind, Set<string>>>();
  private readonly waiting = new Set<Waiting>();
  private snapshot: RingSnapshot | null = null;
  /** The plain ring of the snapshot's members (a handoff's routing ring points moving names at pairs). */
  private ring: Ring | null = null;

  constructor(
    private readonly ctx: ActorContext,
    private readonly options: PubSubOptions,
  ) {
    ctx.tell(options.membership, { type: 'Subscribe', subscriber: ctx.self });
  }

  receive(msg: PubSubMessage): void {
    match(msg)
      .with({ type: 'RingChanged' }, (m) => this.ringChanged(m.snapshot))
      .with({ type: 'Listen' }, (m) => this.listen(m.replyTo, m.slot, m.kind, m.names, m.reply))
      .with({ type: 'Unlisten' }, (m) => this.unlisten(m.client, m.kind, m.names))
      .with({ type: 'Gone' }, (m) => {
        for (const kind of KINDS) this.unlisten(m.client, kind, null);
      })
      .with({ type: 'Pushed' }, (m) => {
        for (const frame of m.frames) this.pushed(m.node, frame);
      })
      .with({ type: 'SubscriberUp' }, (m) => this.resubscribe(m.node))
      .with({ type: 'Confirmed' }, (m) => this.confirmed(m.key))
      .exhaustive();
  }

  stop(): void {
    for (const w of this.waiting) clearTimeout(w.timer);
  }

  /** Subscribes `client` to `names`; `reply` (the client's confirmations) goes out once the nodes have confirmed. */
  private listen(client: Address, slot: number, kind: PubSubKind, names: readonly string[], reply: Uint8Array): void {
    const left = new Set<string>();
    for (const name of names) {
      let set = this.listeners[kind].get(name);
      if (set === undefined) this.listeners[kind].set(name, (set = new Set()));
      set.add(client);
      for (const node of this.nodesOf(kind, name)) {
        if (this.ensure(node, kind, name)) left.add(`${node}/${kind}/${name}`);
      }
    }
    if (left.size === 0) return this.answer(client, slot, reply);
    const timer = setTimeout(() => {
      for (const key of [...left]) this.ctx.tell(this.ctx.self, { type: 'Confirmed', key });
    }, this.options.confirmTimeoutMs);
    timer.unref();
    this.waiting.add({ replyTo: client, slot, reply, left, timer });
  }

  /** Unsubscribes `client` from `names` (null: from every name of the kind). */
  private unlisten(client: Address, kind: PubSubKind, names: readonly string[] | null): void {
    const index = this.listeners[kind];
    for (const name of names ?? [...index.keys()]) {
      const set = index.get(name);
      if (set === undefined || !set.delete(client) || set.size > 0) continue;
      index.delete(name);
      for (const [node, subs] of this.subscribed) {
        if (!subs[kind].delete(name)) continue;
        this.ctx.tell(node, pubsubCommand(WORDS[kind].unsubscribe, name));
      }
    }
  }

  /** Subscribes `node` to the name unless it is already; true when a confirmation is to come. */
  private ensure(node: Address, kind: PubSubKind, name: string): boolean {
    const subs = this.subscriptionsOf(node);
    if (subs[kind].has(name)) return false;
    subs[kind].add(name);
    this.ctx.tell(node, pubsubCommand(WORDS[kind].subscribe, name));
    return true;
  }

  private subscriptionsOf(node: Address): Record<PubSubKind, Set<string>> {
    let subs = this.subscribed.get(node);
    if (subs === undefined) this.subscribed.set(node, (subs = { channel: new Set(), pattern: new Set(), shard: new Set() }));
    return subs;
  }

  /** The NodeActors a name is subscribed on: a pattern on every node, a channel on its owner. */
  private nodesOf(kind: PubSubKind, name: string): Address[] {
    const { snapshot, ring } = this;
    if (snapshot === null || ring === null) return [];
    if (kind === 'pattern') return snapshot.nodes.slice(0, ring.members.length);
    const bytes = Buffer.from(name, 'latin1');
    return [snapshot.nodes[ownerOfKey(ring, bytes, 0, bytes.length, this.options.hashTags)]];
  }

  /** A node's push: a message goes to its listeners as it is; a confirmation releases waiting clients. */
  private pushed(node: Address, frame: Uint8Array): void {
    let reply: Reply;
    try {
      reply = decodeReply(frame);
    } catch {
      return;
    }
    if (reply.kind !== 'array' || reply.items === null || reply.items.length < 3) return;
    const [word, first] = reply.items;
    if (word.kind !== 'bulk' || first.kind !== 'bulk' || word.value === null || first.value === null) return;
    const text = word.value.toString('latin1');
    const kind = kindOfWord.get(text);
    if (kind === undefined) return;
    const name = first.value.toString('latin1');
    if (text === WORDS[kind].confirmed) return this.confirmed(`${node}/${kind}/${name}`);
    // message channel payload; pmessage pattern channel payload; smessage channel payload.
    const listeners = this.listeners[kind].get(name);
    if (listeners === undefined) return;
    const push: ConnectionMessage = { type: 'Pushed', bytes: frame };
    for (const client of listeners) this.ctx.tell(client, push);
  }

  private confirmed(key: string): void {
    for (const w of this.waiting) {
      if (!w.left.delete(key) || w.left.size > 0) continue;
      clearTimeout(w.timer);
      this.waiting.delete(w);
      this.answer(w.replyTo, w.slot, w.reply);
    }
  }

  private answer(client: Address, slot: number, reply: Uint8Array): void {
    this.ctx.tell(client, { type: 'Replied', batch: oneReply(slot, reply) } satisfies Replied);
  }

  /** A node's subscriber connection came (back) up: everything it should carry is subscribed again. */
  private resubscribe(node: Address): void {
    const subs = this.subscribed.get(node);
    if (subs === undefined) return;
    for (const kind of KINDS) {
      for (const name of subs[kind]) this.ctx.tell(node, pubsubCommand(WORDS[kind].subscribe, name));
    }
  }

  /**
   * A new ring: each name is subscribed where it now belongs, then dropped where it no longer
   * does (a PUBLISH routed by the old ring, in flight, may still land there meanwhile).
   */
  private ringChanged(snapshot: RingSnapshot): void {
    this.snapshot = snapshot;
    this.ring = Ring.build(snapshot.ring.members, snapshot.ring.epoch);
    const nodes = new Set(snapshot.nodes.slice(0, snapshot.ring.members.length));
    for (const kind of KINDS) {
      for (const name of this.listeners[kind].keys()) {
        const want = new Set(this.nodesOf(kind, name));
        for (const node of want) this.ensure(node, kind, name);
        for (const [node, subs] of this.subscribed) {
          if (want.has(node) || !subs[kind].delete(name)) continue;
          if (nodes.has(node)) this.ctx.tell(node, pubsubCommand(WORDS[kind].unsubscribe, name));
        }
      }
    }
    for (const node of [...this.subscribed.keys()]) if (!nodes.has(node)) this.subscribed.delete(node);
  }
}

const pubsubCommand = (word: string, name: string): NodeMessage => ({ type: 'Subscription', command: encodeCommand([word, Buffer.from(name, 'latin1')]) });
