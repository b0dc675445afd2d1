// ConnectionActor, one per client socket: parses RESP from the socket, routes each request
// (routing/), sends Route messages to NodeActors, keeps every reply's place in request order and
// writes what is ready once per turn. Applies back-pressure: stops reading while too many
// requests are in flight or the client is not reading its replies.
import type net from 'node:net';
import { RequestParser, ProtocolError, type ParserLimits } from '../protocol/parser.js';
import { EMPTY, joinBytes } from '../protocol/bytes.js';
import { adminFailed, internalError, nodeUnavailable } from '../protocol/errors.js';
import type { Router } from '../routing/router.js';
import type { AdminQuery, BlobRequest, ClientState, Dispatch, Ejected, LeaseOptions, Merge, Part, ProxyFacts, PubSubKind } from '../routing/dispatch.js';
import { Session } from '../routing/session.js';
import type { Ring } from '../ring/ring.js';
import { ReplyQueue } from './replyqueue.js';
import { addToBatch, oneReply, releaseBatch, takeBatch, type ReplyBatch, type RequestBatch } from './batch.js';
import { unhandled, type Actor, type ActorContext, type Address, type Behavior } from './runtime.js';
import type { BlobMessage, ConnectionMessage, MembershipMessage, NodeMessage, PubSubMessage, RingSnapshot } from './messages.js';
import { bulk, integer, nil, push } from '../protocol/encode.js';
import type { User } from '../security/access.js';
import { ADMIN_ANSWER_MS, encodeAnswer, tappedRequest, type AdminAnswer, type AdminCommand, type Tapped, type TappedRequest } from './extensions.js';
import type { Tracing } from '../telemetry/tracing.js';
import type { ConnectionTracing, TracedRequest } from '../telemetry/server.js';
import type { SpanContext } from '@opentelemetry/api';

export interface ConnectionLimits {
  readonly parser: ParserLimits;
  /** Requests in flight before the connection stops reading (resumes at half). */
  readonly maxInflight: number;
  /** Unwritten reply bytes before a slow reader is disconnected (0: no limit). */
  readonly maxOutputBuffer: number;
  /** Idle seconds before the client is closed (0: never), as Redis's `timeout`. */
  readonly idleTimeoutSeconds: number;
}

export interface ConnectionOptions {
  readonly id: number;
  readonly socket: net.Socket;
  readonly snapshot: RingSnapshot;
  readonly router: Router;
  readonly hashTags: boolean;
  readonly limits: ConnectionLimits;
  readonly proxy: ProxyFacts;
  /** The proxy's tracing; null when it is switched off. */
  readonly tracing: Tracing | null;
  /** The MembershipActor, which answers admin queries. */
  readonly membership: Address;
  /** The BlobActor, which runs BLOB.* commands. */
  readonly blobs: Address;
  /** The PubSubActor, which keeps subscriptions and fans messages out. */
  readonly pubsub: Address;
  /** Called once the socket is closed and the actor stopped. */
  readonly closed: (id: number) => void;
  /** Hears the connection's client state once it starts (CLIENT LIST and CLIENT KILL read it). */
  readonly opened?: (client: ClientState) => void;
  /** Hears an unexpected failure while routing a client's request (the request is answered with an error). */
  readonly routingFailed?: (error: unknown, client: number) => void;
}

export function connectionBehavior(options: ConnectionOptions): Behavior<ConnectionMessage> {
  // A client's socket and its place in the reply stream cannot be rebuilt: a crash closes the client.
  return { name: 'connection', restart: false, create: (ctx) => new ConnectionActor(ctx, options) };
}

/** The connection a node leases to this client, by the member's id, its NodeActor, and the lease's number. */
interface Lease {
  readonly member: string;
  readonly node: Address;
  readonly id: number;
}

/** A request (or a lease's end) routed while requests on the other kind of link are unanswered: sent once they are. */
interface Held {
  readonly leased: boolean;
  readonly slot: number;
  readonly send: () => void;
}

class ConnectionActor implements Actor<ConnectionMessage>, Dispatch, ClientState {
  readonly id: number;
  name: string | null = null;
  admin = false;
  user: User | null = null;
  authenticated: boolean;
  gated: boolean;
  readonly session = new Session();
  subscriptions = 0;
  resp3 = false;
  /** The names subscribed to, by kind; null until the first SUBSCRIBE. */
  private subscribed: Record<PubSubKind, Set<string>> | null = null;
  readonly hashTags: boolean;
  readonly proxy: ProxyFacts;
  readonly client: ClientState = this;

  private snapshot!: RingSnapshot;
  /**
   * During a handoff, node indices from here on are pairs (Infinity otherwise). A request sent
   * through a pair reaches its node later than one sent straight, so a new snapshot (which may
   * send the same key straight) waits in `nextSnapshot`, with routing paused, until every request
   * up to `lastPairSlot` is answered.
   */
  private firstPair = Infinity;
  private lastPairSlot = -1;
  private nextSnapshot: RingSnapshot | null = null;
  /** The connection leased to this client now, and the one before it (ended, maybe still answering). */
  private leased: Lease | null = null;
  private lastLease: Lease | null = null;
  private leases = 0;
  /**
   * The last slot sent over a lease and over the shared links. A leased connection and the shared
   * one reach the node separately, so a request waits (in `held`, with routing paused) until every
   * request sent over the other kind is answered: a write is seen by the transaction after it.
   */
  private lastLeasedSlot = -1;
  private lastSharedSlot = -1;
  private held: Held[] = [];
  /** The stream whose last window is written and which is to be asked for the next; owed while the socket is full. */
  private streaming: { readonly producer: Address; readonly slot: number } | null = null;
  private streamOwed = false;
  private blobsAsked = false;
  /**
   * Messages routed this turn besides the per-node batches (requests over the lease and its
   * release, BLOB.* commands), sent with them in the order made; a sampled request's trace is
   * attached to its own before they go.
   */
  private readonly sideMessages: [Address, NodeMessage | BlobMessage][] = [];
  /** This turn's requests, for the taps (only while there are taps). */
  private tapped: TappedRequest[] = [];
  private readonly parser: RequestParser;
  private readonly replies: ReplyQueue;
  private readonly socket: net.Socket;
  /** Requests routed this turn, per node index, sent as one Route message per node. */
  private readonly routes: (RequestBatch | undefined)[] = [];
  /** The same for commands known to be slow, which go over each node's side link. */
  private readonly slowRoutes: (RequestBatch | undefined)[] = [];
  /** Stop taking requests: after QUIT, a protocol error or shutdown; the socket ends once replies are out. */
  private closing = false;
  private readPaused = false;
  private writeBlocked = false;
  private readonly createdAt = Date.now();
  private lastActive = this.createdAt;
  /** Null unless spans can be made: then the hot path's only cost is checking it. */
  private readonly tracing: ConnectionTracing | null;

  constructor(
    private readonly ctx: ActorContext,
    private readonly options: ConnectionOptions,
  ) {
    this.id = options.id;
    this.hashTags = options.hashTags;
    this.proxy = options.proxy;
    this.adopt(options.snapshot);
    this.parser = new RequestParser(options.limits.parser);
    this.replies = new ReplyQueue(options.router.counts.errors);
    this.authenticated = this.gated = false;
    this.authenticate(null);
    const socket = (this.socket = options.socket);
    socket.setNoDelay(true);
    this.tracing =
      options.tracing?.forConnection({ id: this.id, address: socket.remoteAddress, port: socket.remotePort, serverPort: socket.localPort }) ?? null;
    (socket as OwnedSocket)[OWNER] = ctx;
    socket.on('data', onData);
    socket.on('drain', onDrain);
    socket.on('error', ignore);
    socket.on('close', onClose);
    options.opened?.(this);
    if (options.limits.idleTimeoutSeconds > 0) {
      socket.setTimeout(options.limits.idleTimeoutSeconds * 1000, () => socket.destroy());
    }
  }

  get ring(): Ring {
    return this.snapshot.ring;
  }

  get ejected(): Ejected | null {
    return this.snapshot.ejected;
  }

  receive(msg: ConnectionMessage): void {
    switch (msg.type) {
      case 'Received':
        return this.received(msg.chunk);
      case 'Replied':
        return this.replied(msg.batch);
      case 'RingChanged':
        // Held requests name nodes by their index in the current ring: they go first.
        if (this.replies.firstSlot <= this.lastPairSlot || this.held.length > 0) this.nextSnapshot = msg.snapshot;
        else this.adopt(msg.snapshot);
        return;
      case 'Pushed':
        // Nodes push to jupiter in RESP2; a RESP3 client gets the same message as a push.
        return this.reply(this.resp3 ? asPush(msg.bytes) : msg.bytes);
      case 'Streamed':
        return this.replies.append(msg.slot, msg.bytes, msg.end, msg.aborted);
      case 'LeaseLost':
        if (this.leased?.id !== msg.lease) return;
        this.leased = null;
        this.session.lost();
        return;
      case 'Writable':
        this.writeBlocked = false;
        if (this.streamOwed) this.askMore();
        return;
      case 'Closed':
        return this.ctx.runtime.stop(this.ctx.self);
      case 'Shutdown':
        this.closing = true;
        return;
      default:
        return unhandled(msg);
    }
  }

  /** Once per turn: write every reply that is ready, in one write, then decide about reading. */
  flush(): void {
    this.writeReady();
    // A reply sent in pieces at the head: its pieces so far, then what follows once it has ended.
    for (let stream = this.replies.headStream(); stream !== null; stream = this.replies.headStream()) {
      const slot = this.replies.firstSlot;
      const pieces = this.replies.takeStream(stream);
      if (pieces.length > 0) this.write(joinBytes(pieces, pieces.length));
      if (stream.aborted) {
        this.socket.destroy();
        return;
      }
      if (!stream.ended) {
        if (pieces.length > 0) {
          this.streaming = { producer: stream.producer, slot };
          if (this.writeBlocked) this.streamOwed = true;
          else this.askMore();
        }
        break;
      }
      if (this.tracing !== null && this.tracing.pending > 0) this.tracing.written(slot, [EMPTY], 1);
      this.writeReady();
    }
    if (this.held.length > 0) this.sendHeld();
    if (this.nextSnapshot !== null && this.replies.firstSlot > this.lastPairSlot && this.held.length === 0) this.adopt(this.nextSnapshot);
    if (this.closing) {
      // Like Redis: once the last reply is out the connection is closed, not just ended, so a
      // client that keeps writing is told so instead of being read and ignored.
      if (this.replies.size === 0 && !this.socket.destroyed) this.socket.destroySoon();
      return;
    }
    if (this.replies.size < this.options.limits.maxInflight / 2 && this.parser.buffered > 0) this.pump();
    this.setReading(!this.writeBlocked && this.replies.size < this.options.limits.maxInflight);
  }

  /** Writes every complete reply at the head of the queue, in one write. */
  private writeReady(): void {
    const out = turnReplies;
    const first = this.replies.firstSlot;
    const count = this.replies.takeReady(out);
    if (count === 0) return;
    if (this.tracing !== null && this.tracing.pending > 0 && !this.socket.destroyed) this.tracing.written(first, out, count);
    this.write(joinBytes(out, count));
    for (let i = 0; i < count; i++) out[i] = EMPTY;
  }

  private write(bytes: Uint8Array): void {
    if (this.socket.destroyed) return;
    this.writeBlocked = !this.socket.write(bytes) || this.writeBlocked;
    const limit = this.options.limits.maxOutputBuffer;
    if (limit > 0 && this.socket.writableLength > limit) this.socket.destroy();
  }

  /** Asks the stream at the head for its next window, now that its last one is written. */
  private askMore(): void {
    this.streamOwed = false;
    const s = this.streaming;
    if (s === null) return;
    this.streaming = null;
    this.ctx.tell(s.producer, { type: 'More', replyTo: this.ctx.self, slot: s.slot } satisfies BlobMessage);
  }

  stop(): void {
    if (this.blobsAsked) this.ctx.tell(this.options.blobs, { type: 'Gone', client: this.ctx.self } satisfies BlobMessage);
    // A transaction, watch or blocked command left on a lease: its connection is closed, never reused.
    const lease = this.leased ?? this.lastLease;
    if (lease !== null) {
      const clean = !this.session.active && this.lastLeasedSlot < this.replies.firstSlot;
      this.ctx.tell(lease.node, { type: 'Release', replyTo: this.ctx.self, lease: lease.id, clean } satisfies NodeMessage);
    }
    if (this.subscribed !== null) this.forgetSubscriptions();
    this.tracing?.closed();
    this.socket.destroy();
    this.options.closed(this.id);
  }

  // Dispatch: how request shapes act on this connection.

  command(id: number): void {
    this.replies.command = id;
  }

  reply(bytes: Uint8Array): void {
    this.replies.fill(this.replies.open(), -1, bytes);
  }

  forward(node: number, bytes: Uint8Array, slow = false, miss?: Uint8Array): void {
    const slot = this.replies.open();
    if (this.lastLeasedSlot >= this.replies.firstSlot || this.held.length > 0) {
      return this.hold(false, slot, () => this.enqueue(slow ? this.slowRoutes : this.routes, node, slot, -1, bytes, miss));
    }
    this.enqueue(slow ? this.slowRoutes : this.routes, node, slot, -1, bytes, miss);
    this.lastSharedSlot = slot;
  }

  fragment(parts: readonly Part[], merge: Merge): void {
    const slot = this.replies.openFragment(parts.length, merge);
    const send = (): void => {
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i];
        this.enqueue(part.slow === true ? this.slowRoutes : this.routes, part.node, slot, i, part.bytes, part.miss);
      }
    };
    if (this.lastLeasedSlot >= this.replies.firstSlot || this.held.length > 0) return this.hold(false, slot, send);
    send();
    this.lastSharedSlot = slot;
  }

  quietly(node: number, bytes: Uint8Array): void {
    const slot = this.replies.openSilent();
    if (this.lastLeasedSlot >= this.replies.firstSlot || this.held.length > 0) return this.hold(false, slot, () => this.enqueue(this.routes, node, slot, -1, bytes));
    this.enqueue(this.routes, node, slot, -1, bytes);
    this.lastSharedSlot = slot;
  }

  lease(member: string, bytes: Uint8Array, options?: LeaseOptions): void {
    const slot = options?.silent === true ? this.replies.openSilent() : this.replies.open();
    const send = (): void => this.sendLeased(member, slot, bytes, options?.waitMs ?? 0);
    if (this.lastSharedSlot >= this.replies.firstSlot || this.held.length > 0) return this.hold(true, slot, send);
    send();
    this.lastLeasedSlot = slot;
  }

  endLease(clean: boolean): void {
    // After the leased requests still held, if any.
    if (this.held.length > 0) this.hold(true, this.replies.nextSlot - 1, () => this.releaseLease(clean));
    else this.releaseLease(clean);
  }

  askMembership(query: AdminQuery): void {
    const msg: MembershipMessage = { type: 'Admin', query, replyTo: this.ctx.self, slot: this.replies.open() };
    this.ctx.tell(this.options.membership, msg);
  }

  askExtension(actor: Address, name: string, args: readonly string[]): void {
    const slot = this.replies.open();
    const { resp3, ctx } = this;
    const answer = (bytes: Uint8Array): void => ctx.tell(ctx.self, { type: 'Replied', batch: oneReply(slot, bytes) } satisfies ConnectionMessage);
    // Asked with a deadline, so an application's actor that never answers cannot hang the client.
    ctx.runtime
      .ask<AdminAnswer>(actor, (replyTo) => ({ type: 'AdminCommand', name, args, replyTo }) satisfies AdminCommand, ADMIN_ANSWER_MS)
      .then(
        (value) => answer(encodeAnswer(value, resp3)),
        (error: Error) => answer(adminFailed(name, error.message)),
      );
  }

  askBlob(request: BlobRequest): void {
    this.blobsAsked = true;
    // BLOB.GET and BLOB.GETRANGE answer in pieces, a window of chunks at a time.
    const streamed = request.op === 'get' || request.op === 'getrange';
    const slot = streamed ? this.replies.openStream(this.options.blobs) : this.replies.open();
    this.sideMessages.push([this.options.blobs, { type: 'Blob', request, replyTo: this.ctx.self, slot, resp3: this.resp3 }]);
  }

  listen(kind: PubSubKind, names: readonly string[]): void {
    const subscribed = (this.subscribed ??= { channel: new Set(), pattern: new Set(), shard: new Set() });
    const confirmations: Uint8Array[] = [];
    for (const name of names) {
      subscribed[kind].add(name);
      confirmations.push(pubsubReply(WORDS[kind].subscribe, name, this.countOf(kind), this.resp3));
    }
    this.recount();
    const msg: PubSubMessage = { type: 'Listen', replyTo: this.ctx.self, slot: this.replies.open(), kind, names, reply: Buffer.concat(confirmations) };
    this.ctx.tell(this.options.pubsub, msg);
  }

  unlisten(kind: PubSubKind, names: readonly string[]): void {
    const subscribed = this.subscribed?.[kind];
    const gone = names.length > 0 ? names : [...(subscribed ?? [])];
    if (gone.length === 0) return this.reply(pubsubReply(WORDS[kind].unsubscribe, null, this.countOf(kind), this.resp3));
    const confirmations: Uint8Array[] = [];
    for (const name of gone) {
      subscribed?.delete(name);
      confirmations.push(pubsubReply(WORDS[kind].unsubscribe, name, this.countOf(kind), this.resp3));
    }
    this.recount();
    this.reply(Buffer.concat(confirmations));
    this.ctx.tell(this.options.pubsub, { type: 'Unlisten', client: this.ctx.self, kind, names: gone } satisfies PubSubMessage);
  }

  useProtocol(resp3: boolean): void {
    if (resp3 === this.resp3) return;
    // What was routed before goes with the old protocol, and is answered before anything sent over
    // the new one's links: the shared requests so far count as another link's.
    this.sendRoutes();
    this.lastLeasedSlot = Math.max(this.lastLeasedSlot, this.lastSharedSlot);
    this.resp3 = resp3;
  }

  forgetSubscriptions(): void {
    if (this.subscribed === null) return;
    this.subscribed = null;
    this.subscriptions = 0;
    this.ctx.tell(this.options.pubsub, { type: 'Gone', client: this.ctx.self } satisfies PubSubMessage);
  }

  /** The count a confirmation carries: channels and patterns together, shard channels apart (as Redis counts). */
  private countOf(kind: PubSubKind): number {
    const s = this.subscribed;
    if (s === null) return 0;
    return kind === 'shard' ? s.shard.size : s.channel.size + s.pattern.size;
  }

  private recount(): void {
    const s = this.subscribed!;
    this.subscriptions = s.channel.size + s.pattern.size + s.shard.size;
  }

  /** Sends a request over this client's lease on `member`, leasing a connection there first if needed. */
  private sendLeased(member: string, slot: number, bytes: Uint8Array, waitMs: number): void {
    const { ring, nodes } = this.snapshot;
    const index = ring.members.findIndex((m) => m.id === member);
    if (index < 0) return this.replies.fill(slot, -1, nodeUnavailable(member));
    const node = nodes[index];
    if (this.leased !== null && this.leased.node !== node) this.releaseLease(true);
    if (this.leased === null) this.leased = { member, node, id: ++this.leases };
    const batch = takeBatch();
    addToBatch(batch, slot, -1, bytes);
    this.sideMessages.push([node, { type: 'Route', replyTo: this.ctx.self, batch, lease: this.leased.id, waitMs, resp3: this.resp3 }]);
  }

  /** Tells the node the lease is done with (after what was sent on it), in order with the lease's requests. */
  private releaseLease(clean: boolean): void {
    const lease = this.leased;
    if (lease === null) return;
    this.sideMessages.push([lease.node, { type: 'Release', replyTo: this.ctx.self, lease: lease.id, clean }]);
    this.lastLease = lease;
    this.leased = null;
  }

  private hold(leased: boolean, slot: number, send: () => void): void {
    this.held.push({ leased, slot, send });
  }

  /** Sends held requests, in order, while the other kind of link has nothing unanswered before them. */
  private sendHeld(): void {
    const held = this.held;
    this.held = [];
    for (let i = 0; i < held.length; i++) {
      const h = held[i];
      const other = h.leased ? this.lastSharedSlot : this.lastLeasedSlot;
      if (other >= this.replies.firstSlot) {
        this.held = held.slice(i);
        break;
      }
      h.send();
      if (h.leased) this.lastLeasedSlot = Math.max(this.lastLeasedSlot, h.slot);
      else this.lastSharedSlot = h.slot;
    }
    this.sendRoutes();
  }

  private adopt(snapshot: RingSnapshot): void {
    this.snapshot = snapshot;
    this.firstPair = snapshot.nodes.length > snapshot.ring.members.length ? snapshot.ring.members.length : Infinity;
    this.nextSnapshot = null;
  }

  private enqueue(routes: (RequestBatch | undefined)[], node: number, slot: number, part: number, bytes: Uint8Array, miss?: Uint8Array): void {
    if (node >= this.firstPair) this.lastPairSlot = slot;
    let batch = routes[node];
    if (batch === undefined) routes[node] = batch = takeBatch();
    addToBatch(batch, slot, part, bytes);
    if (miss !== undefined) (batch.misses ??= [])[batch.count - 1] = miss;
  }

  private sendRoutes(): void {
    this.sendBatches(this.routes, false);
    if (this.slowRoutes.length > 0) this.sendBatches(this.slowRoutes, true);
    if (this.sideMessages.length > 0) {
      for (const [node, msg] of this.sideMessages) this.ctx.tell(node, msg);
      this.sideMessages.length = 0;
    }
  }

  private sendBatches(routes: (RequestBatch | undefined)[], slow: boolean): void {
    const nodes = this.snapshot.nodes;
    for (let node = 0; node < routes.length; node++) {
      const batch = routes[node];
      if (batch === undefined) continue;
      const msg: NodeMessage = this.resp3
        ? { type: 'Route', replyTo: this.ctx.self, batch, slow, resp3: true }
        : slow
          ? { type: 'Route', replyTo: this.ctx.self, batch, slow }
          : { type: 'Route', replyTo: this.ctx.self, batch };
      this.ctx.tell(nodes[node], msg);
      routes[node] = undefined;
    }
  }

  private replied(batch: ReplyBatch): void {
    const { count, slots, parts, bytes } = batch;
    for (let i = 0; i < count; i++) this.replies.fill(slots[i], parts[i], bytes[i]);
    releaseBatch(batch);
  }

  // ClientState: what local commands may read and change.

  authenticate(user: User | null): void {
    const { access } = this.options.proxy;
    this.user = user;
    this.authenticated = user !== null || !access.required;
    this.parser.unauthenticated = !this.authenticated;
    this.admin = user?.admin === true;
    this.gated = !this.authenticated || user?.restricted === true || access.denied.size > 0;
  }

  closeAfterReply(): void {
    this.closing = true;
  }

  describe(): string {
    const now = Date.now();
    const age = Math.floor((now - this.createdAt) / 1000);
    const idle = Math.floor((now - this.lastActive) / 1000);
    const s = this.subscribed;
    const multi = this.session.inMulti ? 0 : -1;
    return (
      `id=${this.id} addr=${this.addr} laddr=${this.socket.localAddress}:${this.socket.localPort} name=${this.name ?? ''} age=${age} idle=${idle} ` +
      `flags=${this.subscriptions > 0 ? 'P' : 'N'} db=0 sub=${s?.channel.size ?? 0} psub=${s?.pattern.size ?? 0} ssub=${s?.shard.size ?? 0} multi=${multi} resp=${this.resp3 ? 3 : 2}`
    );
  }

  get addr(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  kill(): void {
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    if (this.closing) return;
    this.lastActive = Date.now();
    if (this.tracing !== null) this.tracing.arrived();
    try {
      this.parser.push(chunk);
    } catch (error) {
      this.protocolError(error);
      return;
    }
    this.pump();
  }

  /** Routes parsed requests until the input runs out or the in-flight limit is reached. */
  private pump(): void {
    const { parser, options, tracing } = this;
    const max = options.limits.maxInflight;
    const tapping = options.proxy.extensions.taps.length !== 0;
    try {
      while (!this.closing && this.nextSnapshot === null && this.held.length === 0 && this.replies.size < max && parser.next()) {
        const slot = this.replies.nextSlot;
        try {
          if (tracing === null) options.router.route(parser, this);
          else this.routeTraced(tracing);
          if (tapping) this.tap(slot);
        } catch (error) {
          this.routingFailed(error, slot);
        }
      }
    } catch (error) {
      this.protocolError(error);
    }
    if (tapping) this.sendTapped();
    this.sendRoutes();
  }

  /** Notes, for the taps, the members the request in `slot` went to this turn. */
  private tap(slot: number): void {
    const { ring, nodes } = this.snapshot;
    // An index past the members is a handoff pair, which sends the request on to the new owner.
    const id = (node: number): string => ring.members[node]?.id ?? 'handoff';
    const went: string[] = [];
    for (const routes of [this.routes, this.slowRoutes]) {
      for (let node = 0; node < routes.length; node++) {
        const batch = routes[node];
        if (batch !== undefined && batch.count > 0 && batch.slots[batch.count - 1] === slot) went.push(id(node));
      }
    }
    for (const [to, msg] of this.sideMessages) {
      if (msg.type !== 'Route' || msg.batch.slots[msg.batch.count - 1] !== slot) continue;
      const node = nodes.indexOf(to);
      if (node >= 0) went.push(id(node));
    }
    this.tapped.push(tappedRequest(this.parser, went));
  }

  private sendTapped(): void {
    if (this.tapped.length === 0) return;
    const msg: Tapped = { type: 'Tapped', requests: this.tapped };
    for (const tap of this.options.proxy.extensions.taps) this.ctx.tell(tap, msg);
    this.tapped = [];
  }

  /** A bug met while routing one request fails that request alone, with an error in its place. */
  private routingFailed(error: unknown, slot: number): void {
    this.options.routingFailed?.(error, this.id);
    if (this.replies.nextSlot === slot) this.reply(internalError);
  }

  /**
   * Routes one request, then lets tracing decide whether it is sampled; a sampled request's
   * entries in this turn's Route batches (one per node it went to) get its trace.
   */
  private routeTraced(tracing: ConnectionTracing): void {
    const slot = this.replies.nextSlot;
    const traceparent = this.options.router.route(this.parser, this);
    if (this.replies.nextSlot === slot) return;
    const request = tracing.begin(this.parser, traceparent, slot, this.snapshot.ring.epoch);
    if (request !== undefined) this.attachTrace(request, slot);
  }

  private attachTrace(request: TracedRequest, slot: number): void {
    for (const [, msg] of this.sideMessages) {
      if (msg.type === 'Route' && msg.batch.slots[0] === slot) (msg.batch.traces ??= [])[0] = request.part(msg.batch.bytes[0]);
      else if (msg.type === 'Blob' && msg.slot === slot) (msg as { parent?: SpanContext }).parent = request.context;
    }
    for (const routes of [this.routes, this.slowRoutes]) {
      for (const batch of routes) {
        if (batch === undefined) continue;
        // The request's entries are the last ones of each batch it was added to.
        for (let i = batch.count - 1; i >= 0 && batch.slots[i] === slot; i--) {
          (batch.traces ??= [])[i] = request.part(batch.bytes[i]);
        }
      }
    }
  }

  /** Like Redis: earlier replies first, then the error, then close. */
  private protocolError(error: unknown): void {
    if (!(error instanceof ProtocolError)) throw error;
    this.reply(error.reply);
    this.closing = true;
  }

  private setReading(on: boolean): void {
    if (on === !this.readPaused) return;
    this.readPaused = !on;
    if (on) this.socket.resume();
    else this.socket.pause();
  }
}

/** The words of a subscription's confirmations, by kind. */
const WORDS: Record<PubSubKind, { subscribe: string; unsubscribe: string }> = {
  channel: { subscribe: 'subscribe', unsubscribe: 'unsubscribe' },
  pattern: { subscribe: 'psubscribe', unsubscribe: 'punsubscribe' },
  shard: { subscribe: 'ssubscribe', unsubscribe: 'sunsubscribe' },
};

const pubsubReply = (word: string, name: string | null, count: number, resp3: boolean): Buffer =>
  push([bulk(word), name === null ? nil(resp3) : bulk(name), integer(count)], resp3);

/** A node's RESP2 push message (an array) as a RESP3 push: the same bytes but the first. */
function asPush(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.prototype.slice.call(bytes);
  copy[0] = 62;
  return copy;
}

// Socket listeners shared by every connection (the socket names its actor), rather than four
// closures per client: idle connections are counted in the tens of thousands.
const OWNER = Symbol('jupiter.connection');
type OwnedSocket = net.Socket & { [OWNER]: ActorContext };
const WRITABLE: ConnectionMessage = { type: 'Writable' };
const CLOSED: ConnectionMessage = { type: 'Closed' };
function onData(this: OwnedSocket, chunk: Buffer): void {
  const ctx = this[OWNER];
  ctx.tell(ctx.self, { type: 'Received', chunk });
}
function onDrain(this: OwnedSocket): void {
  this[OWNER].tell(this[OWNER].self, WRITABLE);
}
function onClose(this: OwnedSocket): void {
  this[OWNER].tell(this[OWNER].self, CLOSED);
}
function ignore(): void {}

/**
 * The replies one connection writes in its flush, shared by all connections: a flush fills it,
 * writes it and clears it before returning, so one array serves every client.
 */
const turnReplies: Uint8Array[] = [];
