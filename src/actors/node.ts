// NodeActor, the "ring actor": one per Redis node. Owns the node's backend links and the ordered
// queue of requests in flight on each, pipelines every client's requests over the shared link
// (one write per turn), matches replies to requests in order and hands back the reply bytes
// untouched. Commands known to be slow ride a side link, so they never hold up the shared one.
// A client in a transaction or a blocking command gets a connection of its own, leased to it
// until its session ends; a clean one then waits, open, for the next lease.
//
// A request past its timeout is answered with a timeout error alone; its reply, when it comes,
// is dropped. The shared link is torn down only when the node is unresponsive: when a PING on a
// fresh connection gets no answer either, or the node answers it while the link stays silent.
import net from 'node:net';
import { isErrorReply, ReplyProtocolError } from '../protocol/replies.js';
import { EMPTY } from '../protocol/bytes.js';
import { internalError, leaseLimit, leaseLost, nodeAuthRefused, nodeBusy, nodeProtocolError, nodeTimeout, nodeUnavailable } from '../protocol/errors.js';
import { authCommand, credentialsOf } from '../security/backend.js';
import type { NodeTls } from '../security/tls.js';
import { refuseRoute } from './dead-letters.js';
import { BackendLink, nextGeneration, type LinkName } from './link.js';
import { encodeCommand } from '../protocol/encode.js';
import { unhandled, type Actor, type ActorContext, type Address, type Behavior } from './runtime.js';
import type { ConnectionMessage, NodeFailing, NodeHealth, NodeMessage, NodeStats, PubSubMessage, Replied } from './messages.js';
import { addToBatch, answerAll, releaseBatch, takeBatch, type ReplyBatch, type RequestBatch } from './batch.js';
import { LatencyHistogram } from './latency.js';
import { BackendTracing, type FailureType, type Hop } from '../telemetry/backend.js';
import type { RequestTrace } from '../telemetry/request-trace.js';

type Route = Extract<NodeMessage, { type: 'Route' }>;
type Link = BackendLink<NodePeer>;

/** A connection with requests on this node, and the replies gathered for it while a chunk is framed. */
interface NodePeer {
  readonly address: Address;
  /** Its requests not yet answered. */
  inflight: number;
  /** When it last sent a request (ms), for forgetting idle peers. */
  lastRouted: number;
  replies: ReplyBatch | null;
}

/** A peer with nothing in flight for this long is forgotten (its connection may be gone). */
const PEER_IDLE_MS = 10_000;

export interface NodeOptions {
  readonly id: string; // host:port
  readonly host: string;
  readonly port: number;
  readonly requestTimeoutMs: number;
  /** The timeout of requests on the side link (commands known to be slow). */
  readonly slowRequestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMaxDelayMs: number;
  /** Request bytes a link may hold unsent; requests beyond it are refused with a busy error. */
  readonly maxQueuedBytes: number;
  /** Connections leased to clients at once (idle ones kept for reuse count too). */
  readonly maxLeases: number;
  /** Who hears about this node going up or down (the MembershipActor). */
  readonly health?: Address;
  /** Who gets what the node's subscriber connection pushes (the PubSubActor). */
  readonly pubsub?: Address;
  /** With ejection on: consecutive failed requests or connects after which the health actor hears NodeFailing. */
  readonly failureLimit?: number;
  /** jupiter's credentials on the node (backend.username, backend.password): every link sends AUTH first. */
  readonly username?: string;
  readonly password?: string;
  /** TLS to the node (backend.tls), its files read; unset: plain TCP. */
  readonly tls?: NodeTls;
}

/** A connection leased to one client (its transaction, watch or blocking command). */
interface Lease {
  readonly peer: Address;
  readonly id: number;
  readonly link: Link;
  /** How long each request in flight may block beyond the request timeout, oldest first. */
  readonly waits: number[];
  /** The client is done with it: once its requests are answered it is kept for reuse, or closed. */
  released: boolean;
  clean: boolean;
}

/** Clean leased connections kept open for the next lease. */
const IDLE_LEASES = 8;
const leaseKey = (peer: Address, id: number): string => `${peer}/${id}`;

/** A PING on a connection of its own, open while the shared link is overdue. */
interface Probe {
  readonly id: number;
  readonly startedAt: number;
  readonly socket: net.Socket;
  answered: boolean;
}

export function nodeBehavior(options: NodeOptions): Behavior<NodeMessage> {
  return {
    name: `node ${options.id}`,
    create: (ctx) => new NodeActor(ctx, options),
    // A crashed NodeActor's clients get an error in their request's place, never silence.
    reject: (msg, ctx) => refuseRoute(msg, ctx),
  };
}

const replied = (batch: ReplyBatch): Replied => ({ type: 'Replied', batch });

class NodeActor implements Actor<NodeMessage> {
  private readonly main: Link;
  private readonly side: Link;
  /** The same for RESP3 clients, connected on their first request. */
  private readonly main3: Link;
  private readonly side3: Link;
  /** The node's one subscriber connection, carrying every client's subscriptions; opened on the first. */
  private readonly subscriber: Link;
  private subscriberWasUp = false;
  private readonly peers = new Map<Address, NodePeer>();
  private lastPeerSweep = Date.now();
  // Peers with replies gathered while one chunk is framed, each sent as one message.
  private readonly answered: (NodePeer | undefined)[] = [];
  private answeredCount = 0;
  private checkDue = false;
  private probe: Probe | null = null;
  /** Down was reported and no up since: a node that never comes up is reported once, not per retry. */
  private reportedDown = false;
  /** Requests timed out and connects failed since the node last answered (for ejection). */
  private failuresInARow = 0;
  // Counts for metrics: a few additions per batch, nothing per request.
  private requests = 0;
  private slowRequests = 0;
  private timeouts = 0;
  private refusedUnavailable = 0;
  private refusedBusy = 0;
  private failed = 0;
  private readonly latency = new LatencyHistogram();
  private readonly ticker: NodeJS.Timeout;
  private readonly errors: { unavailable: Buffer; timeout: Buffer; badReply: Buffer; busy: Buffer; leaseLimit: Buffer; leaseLost: Buffer; authRefused: Buffer };
  /** The AUTH every new link sends first, or null when the node needs none. */
  private readonly auth: Buffer | null;
  private readonly leases = new Map<string, Lease>();
  private readonly leaseLinks = new Map<Link, Lease>();
  /** Clean connections a released lease left, for the next lease. */
  private readonly idle: Link[] = [];
  /** Leases that were lost: a later request on one is refused, never sent over a new connection. */
  private readonly lostLeases = new Set<string>();
  /** Leases with request bytes to write this turn. */
  private readonly writing = new Set<Link>();

  constructor(
    private readonly ctx: ActorContext,
    private readonly options: NodeOptions,
  ) {
    this.errors = {
      unavailable: nodeUnavailable(options.id),
      timeout: nodeTimeout(options.id),
      badReply: nodeProtocolError(options.id),
      busy: nodeBusy(options.id),
      leaseLimit: leaseLimit(options.id, options.maxLeases),
      leaseLost: leaseLost(options.id),
      authRefused: nodeAuthRefused(options.id),
    };
    const credentials = credentialsOf(options);
    this.auth = credentials === undefined ? null : authCommand(credentials);
    // Spans of sampled requests only: untraced ones never reach them.
    this.main = new BackendLink('main', new BackendTracing(options));
    this.side = new BackendLink('side', new BackendTracing(options));
    this.main3 = new BackendLink('main3', new BackendTracing(options), true);
    this.side3 = new BackendLink('side3', new BackendTracing(options), true);
    this.subscriber = new BackendLink('pubsub', new BackendTracing(options));
    const shortest = Math.min(options.requestTimeoutMs, options.slowRequestTimeoutMs);
    const every = Math.max(10, Math.min(250, Math.floor(shortest / 4)));
    this.ticker = setInterval(() => ctx.tell(ctx.self, { type: 'Tick' }), every);
    this.ticker.unref();
    this.connect(this.main);
  }

  receive(msg: NodeMessage): void {
    switch (msg.type) {
      case 'Route':
        return msg.lease === undefined ? this.route(msg) : this.routeLeased(msg, msg.lease);
      case 'Release':
        return this.release(msg.replyTo, msg.lease, msg.clean);
      case 'Received': {
        const link = this.linkOf(msg.generation);
        if (link !== null) this.received(link, msg.chunk);
        return;
      }
      case 'Connected': {
        const link = this.linkOf(msg.generation);
        if (link !== null) this.connected(link);
        return;
      }
      case 'Disconnected': {
        const link = this.linkOf(msg.generation);
        if (link !== null) this.lost(link, this.errors.unavailable, msg.reason);
        return;
      }
      case 'Probed':
        return this.probed(msg.probe, msg.answered);
      case 'Tick':
        this.checkDue = true;
        return;
      case 'Reconnect':
        return this.connect(this.named(msg.link));
      case 'GetStats':
        return this.ctx.tell(msg.replyTo, this.stats());
      case 'Subscription':
        if (this.subscriber.state === 'idle') this.connect(this.subscriber);
        this.subscriber.queue(msg.command);
        this.writing.add(this.subscriber);
        return;
      default:
        return unhandled(msg);
    }
  }

  flush(): void {
    // Timeouts are judged after the whole batch: a reply or connect that arrived in the same turn
    // as an overdue timer (after the event loop was busy) counts, not the timer alone.
    if (this.checkDue) {
      this.checkDue = false;
      this.checkTimeouts();
    }
    this.main.write();
    this.side.write();
    this.main3.write();
    this.side3.write();
    if (this.writing.size > 0) {
      for (const link of this.writing) link.write();
      this.writing.clear();
    }
  }

  /** What a crash must answer: the requests not answered yet (taken out, so stop() does not answer them twice). */
  *inflight(): Iterable<NodeMessage> {
    for (const link of [this.main, this.side, this.main3, this.side3, ...this.leaseLinks.keys()]) {
      const { pending } = link;
      while (link.expired > 0) {
        pending.shift();
        link.expired--;
      }
      while (pending.length > 0) {
        const batch = takeBatch();
        addToBatch(batch, pending.slot, pending.part, EMPTY);
        const replyTo = pending.peer.address;
        const hop = pending.hop;
        pending.shift();
        // The request's spans end as failed: the crash ended its round trip.
        if (hop !== undefined) link.tracing.failed(hop, 'node_unavailable', internalError);
        yield { type: 'Route', replyTo, batch };
      }
    }
  }

  stop(): void {
    clearInterval(this.ticker);
    this.endProbe();
    for (const link of [this.main, this.side, this.main3, this.side3, ...this.leaseLinks.keys()]) {
      this.failAll(link, this.errors.unavailable);
      link.stop();
    }
    for (const link of this.idle) link.stop();
    this.subscriber.stop();
  }

  private stats(): NodeStats {
    const { main, side } = this;
    return {
      node: this.options.id,
      requests: this.requests,
      slowRequests: this.slowRequests,
      timeouts: this.timeouts,
      refusedUnavailable: this.refusedUnavailable,
      refusedBusy: this.refusedBusy,
      failed: this.failed,
      inflight: main.unanswered + side.unanswered,
      queuedBytes: main.queuedBytes + side.queuedBytes,
      leases: this.leases.size,
      idleLeases: this.idle.length,
      latency: this.latency.snapshot(),
    };
  }

  private linkOf(generation: number): Link | null {
    if (generation === this.main.generation) return this.main;
    if (generation === this.side.generation) return this.side;
    if (generation === this.main3.generation) return this.main3;
    if (generation === this.side3.generation) return this.side3;
    if (generation === this.subscriber.generation) return this.subscriber;
    // Leased and idle connections: rare next to the shared link, looked for only when it is not that.
    for (const link of this.leaseLinks.keys()) if (link.generation === generation) return link;
    for (const link of this.idle) if (link.generation === generation) return link;
    return null;
  }

  private route(msg: Route): void {
    const { replyTo, batch } = msg;
    const link = msg.resp3 === true ? (msg.slow === true ? this.side3 : this.main3) : msg.slow === true ? this.side : this.main;
    if (link.state === 'idle') this.connect(link);
    if (link.state === 'down' || link.queuedBytes > this.options.maxQueuedBytes) {
      this.refuse(link, replyTo, batch, link.state === 'down' ? this.errors.unavailable : this.errors.busy);
      return;
    }
    const { count, slots, parts, bytes, traces, misses } = batch;
    if (link === this.main || link === this.main3) this.requests += count;
    else this.slowRequests += count;
    const at = Date.now();
    const peer = this.peerOf(replyTo, at);
    peer.inflight += count;
    const { pending } = link;
    for (let i = 0; i < count; i++) {
      const hop = traces === undefined ? undefined : this.arrivedTraced(link, traces[i]);
      pending.push(peer, slots[i], parts[i], at, hop, misses?.[i]);
      link.queue(bytes[i]);
    }
    releaseBatch(batch);
  }

  private refuse(link: Link, replyTo: Address, batch: RequestBatch, error: Buffer): void {
    if (error === this.errors.busy) this.refusedBusy += batch.count;
    else this.refusedUnavailable += batch.count;
    const { traces } = batch;
    if (traces !== undefined) {
      const failure = this.failureOf(error);
      for (const trace of traces) if (trace !== undefined) link.tracing.refused(trace, link.pending.length, failure, error);
    }
    const answers = answerAll(batch, error);
    // eject.onDown miss: a read for a node that is down gets its miss, not the error.
    if (batch.misses !== undefined && error === this.errors.unavailable) {
      for (let i = 0; i < batch.count; i++) if (batch.misses[i] !== undefined) answers.bytes[i] = batch.misses[i]!;
    }
    this.ctx.tell(replyTo, replied(answers));
    releaseBatch(batch);
  }

  private peerOf(address: Address, now: number): NodePeer {
    let peer = this.peers.get(address);
    if (peer === undefined) {
      peer = { address, inflight: 0, lastRouted: now, replies: null };
      this.peers.set(address, peer);
    }
    peer.lastRouted = now;
    return peer;
  }

  /** Forgets peers idle for a while, so closed connections do not pile up here. */
  private sweepPeers(now: number): void {
    if (now - this.lastPeerSweep < PEER_IDLE_MS) return;
    this.lastPeerSweep = now;
    for (const peer of this.peers.values()) {
      if (peer.inflight === 0 && peer.replies === null && now - peer.lastRouted > PEER_IDLE_MS) this.peers.delete(peer.address);
    }
  }

  private arrivedTraced(link: Link, trace: RequestTrace | undefined): Hop | undefined {
    return trace === undefined ? undefined : link.tracing.arrived(trace, link.pending.length);
  }

  /** Answers the k-th oldest request of `link` with `bytes` (it stays queued); returns its hop, if traced. */
  private answer(link: Link, k: number, bytes: Uint8Array): Hop | undefined {
    const { pending } = link;
    const peer = pending.peerAt(k);
    let batch = peer.replies;
    if (batch === null) {
      batch = peer.replies = takeBatch();
      this.answered[this.answeredCount++] = peer;
    }
    addToBatch(batch, pending.slotAt(k), pending.partAt(k), bytes);
    peer.inflight--;
    return pending.takeHopAt(k);
  }

  private sendAnswers(): void {
    const { answered } = this;
    for (let i = 0; i < this.answeredCount; i++) {
      const peer = answered[i]!;
      this.ctx.tell(peer.address, replied(peer.replies!));
      peer.replies = null;
      answered[i] = undefined;
    }
    this.answeredCount = 0;
  }

  private received(link: Link, chunk: Buffer): void {
    if (link === this.subscriber) return this.relay(chunk);
    const { framer, pending } = link;
    framer.push(chunk);
    const before = pending.length;
    const now = Date.now();
    try {
      for (let reply = framer.next(); reply !== null; reply = framer.next()) {
        if (pending.length === 0) throw new ReplyProtocolError('a reply nobody asked for');
        if (link.expired > 0) {
          // Answered already, with a timeout error: the late reply goes nowhere.
          link.expired--;
          if (link.authenticating) {
            link.authenticating = false;
            if (isErrorReply(reply)) {
              this.sendAnswers();
              return this.lost(link, this.errors.authRefused, `AUTH refused: ${firstLine(reply)}`);
            }
            if (link === this.main) this.report(true);
          }
        } else {
          this.latency.observe(now - pending.queuedAtOf(0));
          const hop = this.answer(link, 0, reply);
          if (hop !== undefined) link.tracing.replied(hop, reply);
        }
        pending.shift();
      }
    } catch (error) {
      if (!(error instanceof ReplyProtocolError)) throw error;
      this.sendAnswers();
      this.lost(link, this.errors.badReply, error.message);
    }
    if (pending.length < before) {
      link.lastProgress = now;
      this.failuresInARow = 0;
    }
    this.sendAnswers();
    if (link.name === 'lease') {
      const lease = this.leaseLinks.get(link);
      if (lease !== undefined) this.answeredOnLease(lease);
    }
  }

  private connect(link: Link): void {
    link.connect(this.ctx, this.options.host, this.options.port, this.options.tls);
    // AUTH's answer is checked, then dropped like a timed-out reply's: a refusal takes the link down.
    if (this.auth !== null) {
      link.authenticating = true;
      this.handshake(link, this.auth);
    }
    // A RESP3 link says so first; its answer (the server's map) is read and dropped.
    if (link.resp3) this.handshake(link, HELLO3);
  }

  /** Sends a command of jupiter's own first on a new link; its reply is read as a timed-out one's, going nowhere. */
  private handshake(link: Link, command: Buffer): void {
    link.pending.push(HANDSHAKE, -1, -1, Date.now(), undefined);
    link.expired++;
    link.queue(command);
  }

  private named(name: Exclude<LinkName, 'lease'>): Link {
    switch (name) {
      case 'main':
        return this.main;
      case 'side':
        return this.side;
      case 'main3':
        return this.main3;
      case 'side3':
        return this.side3;
      case 'pubsub':
        return this.subscriber;
    }
  }

  private connected(link: Link): void {
    link.up(Date.now());
    // With credentials, the node is up once it accepts them.
    if (link === this.main && !link.authenticating) this.report(true);
    link.write();
    if (link === this.subscriber) {
      // Back after a loss: what it carried is subscribed again by the PubSubActor.
      if (this.subscriberWasUp && this.options.pubsub !== undefined) this.ctx.tell(this.options.pubsub, { type: 'SubscriberUp', node: this.ctx.self } satisfies PubSubMessage);
      this.subscriberWasUp = true;
    }
  }

  /** Sends what the subscriber connection pushed to the PubSubActor, each frame a copy of its own. */
  private relay(chunk: Buffer): void {
    const link = this.subscriber;
    link.framer.push(chunk);
    const frames: Uint8Array[] = [];
    try {
      for (let frame = link.framer.next(); frame !== null; frame = link.framer.next()) frames.push(Uint8Array.prototype.slice.call(frame));
    } catch (error) {
      if (!(error instanceof ReplyProtocolError)) throw error;
      this.lost(link, this.errors.badReply, error.message);
    }
    if (frames.length > 0 && this.options.pubsub !== undefined) this.ctx.tell(this.options.pubsub, { type: 'Pushed', node: this.ctx.self, frames } satisfies PubSubMessage);
  }

  // Leases.

  private routeLeased(msg: Route, id: number): void {
    const { replyTo, batch } = msg;
    const key = leaseKey(replyTo, id);
    if (this.lostLeases.has(key)) return this.refuse(this.main, replyTo, batch, this.errors.leaseLost);
    let lease = this.leases.get(key);
    if (lease === undefined) {
      if (this.leases.size >= this.options.maxLeases) return this.refuse(this.main, replyTo, batch, this.errors.leaseLimit);
      lease = this.openLease(replyTo, id, key, msg.resp3 === true);
    }
    const { link } = lease;
    const { count, slots, parts, bytes, traces } = batch;
    this.requests += count;
    const at = Date.now();
    const peer = this.peerOf(replyTo, at);
    peer.inflight += count;
    const wait = msg.waitMs ?? 0;
    for (let i = 0; i < count; i++) {
      const hop = traces === undefined ? undefined : this.arrivedTraced(link, traces[i]);
      link.pending.push(peer, slots[i], parts[i], at, hop);
      lease.waits.push(wait);
      link.queue(bytes[i]);
    }
    this.writing.add(link);
    releaseBatch(batch);
  }

  /** A lease over an idle clean connection of the client's protocol when there is one, else over a new one. */
  private openLease(peer: Address, id: number, key: string, resp3: boolean): Lease {
    const at = this.idle.findIndex((l) => l.resp3 === resp3);
    let link = at < 0 ? undefined : this.idle.splice(at, 1)[0];
    if (link === undefined) {
      // Idle connections count towards the cap: one of the other protocol makes room.
      if (this.leases.size + this.idle.length >= this.options.maxLeases) this.idle.shift()?.stop();
      link = new BackendLink('lease', new BackendTracing(this.options), resp3);
      this.connect(link);
    }
    const lease: Lease = { peer, id, link, waits: [], released: false, clean: false };
    this.leases.set(key, lease);
    this.leaseLinks.set(link, lease);
    return lease;
  }

  private release(peer: Address, id: number, clean: boolean): void {
    const key = leaseKey(peer, id);
    this.lostLeases.delete(key);
    const lease = this.leases.get(key);
    if (lease === undefined) return;
    lease.released = true;
    lease.clean = clean;
    if (!clean) this.endLease(lease, this.errors.leaseLost, false);
    else this.answeredOnLease(lease);
  }

  /** Keeps the lease's waits in step with its requests; a released lease with nothing left in flight ends. */
  private answeredOnLease(lease: Lease): void {
    const { link, waits } = lease;
    if (waits.length > link.pending.length) waits.splice(0, waits.length - link.pending.length);
    if (!lease.released || link.pending.length > 0) return;
    this.leases.delete(leaseKey(lease.peer, lease.id));
    this.leaseLinks.delete(link);
    if (lease.clean && link.state === 'up' && this.idle.length < IDLE_LEASES) this.idle.push(link);
    else link.stop();
  }

  /**
   * Ends a lease at once: its requests get `error`, its connection is closed. Unless the client
   * ended it, the client hears that it was lost, and later requests on it are refused.
   */
  private endLease(lease: Lease, error: Buffer, lost = true): void {
    const key = leaseKey(lease.peer, lease.id);
    this.leases.delete(key);
    this.leaseLinks.delete(lease.link);
    this.writing.delete(lease.link);
    this.failAll(lease.link, error);
    lease.link.stop();
    if (!lost || lease.released) return;
    this.lostLeases.add(key);
    this.ctx.tell(lease.peer, { type: 'LeaseLost', lease: lease.id } satisfies ConnectionMessage);
  }

  /** A leased request may take the request timeout plus what it is allowed to block, counted from when the one before it was answered. */
  private checkLeases(now: number): void {
    for (const lease of [...this.leases.values()]) {
      const { link } = lease;
      if (link.state === 'connecting' && now - link.connectStarted > this.options.connectTimeoutMs) {
        this.endLease(lease, this.errors.unavailable);
        continue;
      }
      if (link.pending.length === 0) continue;
      const started = Math.max(link.pending.queuedAtOf(0), link.lastProgress);
      if (now - started > this.options.requestTimeoutMs + lease.waits[0]) {
        this.timeouts++;
        this.endLease(lease, this.errors.timeout);
      }
    }
  }

  /** The link failed: every request on it gets `error`, in order, and it is retried later. */
  private lost(link: Link, error: Buffer, reason: string): void {
    if (link.name === 'lease') return this.lostLease(link, error);
    if (link === this.main) this.endProbe();
    link.close('down');
    this.failAll(link, error);
    link.failures++;
    // Down once it was reported up, or the first time it fails to come up at all (a wrong address, refused credentials).
    if (link === this.main && !this.reportedDown) this.report(false, reason);
    // A node the shared link finds down or unresponsive fails its leased clients too (a blocked one gets the error).
    if (link === this.main) {
      for (const lease of [...this.leases.values()]) this.endLease(lease, error);
      this.countFailure();
    }
    const delay = Math.min(this.options.reconnectMaxDelayMs, 50 * 2 ** Math.min(link.failures - 1, 10));
    link.reconnectTimer = setTimeout(() => this.ctx.tell(this.ctx.self, { type: 'Reconnect', link: link.name }), delay);
    link.reconnectTimer.unref();
  }

  /** A leased or idle connection failed: it is not reconnected, its lease (if any) is lost. */
  private lostLease(link: Link, error: Buffer): void {
    const lease = this.leaseLinks.get(link);
    if (lease !== undefined) return this.endLease(lease, error);
    const at = this.idle.indexOf(link);
    if (at >= 0) this.idle.splice(at, 1);
    link.stop();
  }

  /** Answers every request of the link not answered yet with `error`, and empties its queue. */
  private failAll(link: Link, error: Buffer): void {
    const failure = this.failureOf(error);
    const { pending } = link;
    this.failed += pending.length - link.expired;
    const down = error === this.errors.unavailable || error === this.errors.timeout;
    for (let k = link.expired; k < pending.length; k++) {
      const hop = this.answer(link, k, (down ? pending.missAt(k) : undefined) ?? error);
      if (hop !== undefined) link.tracing.failed(hop, failure, error);
    }
    while (pending.length > 0) pending.shift();
    link.expired = 0;
    this.sendAnswers();
    link.clearOutbox();
    link.tracing.discardUnwritten();
  }

  private report(up: boolean, reason?: string): void {
    this.reportedDown = !up;
    if (this.options.health !== undefined) this.ctx.tell(this.options.health, health(this.options.id, this.ctx.self, up, reason));
  }

  private failureOf(error: Buffer): FailureType {
    return error === this.errors.timeout ? 'timeout' : error === this.errors.badReply ? 'protocol_error' : 'node_unavailable';
  }

  private checkTimeouts(): void {
    const now = Date.now();
    this.checkLink(this.main, this.options.requestTimeoutMs, now);
    this.checkLink(this.side, this.options.slowRequestTimeoutMs, now);
    if (this.main3.state !== 'idle') this.checkLink(this.main3, this.options.requestTimeoutMs, now);
    if (this.side3.state !== 'idle') this.checkLink(this.side3, this.options.slowRequestTimeoutMs, now);
    if (this.leases.size > 0) this.checkLeases(now);
    this.checkProbe(now);
    this.sweepPeers(now);
  }

  /** Answers the link's overdue requests with a timeout error; fails a connect that takes too long. */
  private checkLink(link: Link, timeoutMs: number, now: number): void {
    if (link.state === 'connecting' && now - link.connectStarted > this.options.connectTimeoutMs) {
      this.lost(link, this.errors.unavailable, 'connect timed out');
      return;
    }
    const { pending } = link;
    const error = this.errors.timeout;
    // Requests are queued in time order, so the overdue ones are the oldest.
    while (link.expired < pending.length && now - pending.queuedAtOf(link.expired) > timeoutMs) {
      const hop = this.answer(link, link.expired, pending.missAt(link.expired) ?? error);
      if (hop !== undefined) link.tracing.failed(hop, 'timeout', error);
      link.expired++;
      this.timeouts++;
      this.countFailure();
    }
    this.sendAnswers();
  }

  /** One more failure in a row; every eject.failureLimit of them the health actor hears it. */
  private countFailure(): void {
    const limit = this.options.failureLimit;
    if (limit === undefined || ++this.failuresInARow % limit !== 0 || this.options.health === undefined) return;
    this.ctx.tell(this.options.health, { type: 'NodeFailing', node: this.options.id, actor: this.ctx.self } satisfies NodeFailing);
  }

  /**
   * While the shared link has overdue requests and has delivered nothing for a timeout, a PING on
   * a connection of its own tells why: no answer within the timeout, the node is unresponsive; an
   * answer while the link still delivers nothing, the link itself is dead. Either way the link is
   * torn down; a node that is merely busy answers on both and keeps its link.
   */
  private checkProbe(now: number): void {
    const { main } = this;
    const timeoutMs = this.options.requestTimeoutMs;
    const probe = this.probe;
    if (probe === null) {
      if (main.state === 'up' && main.expired > 0 && now - main.lastProgress > timeoutMs) this.startProbe(now);
      return;
    }
    if (main.lastProgress >= probe.startedAt) {
      this.endProbe();
    } else if (probe.answered) {
      this.lost(main, this.errors.timeout, 'node answers PING but not on the link');
    } else if (now - probe.startedAt > timeoutMs) {
      this.lost(main, this.errors.timeout, 'node unresponsive');
    }
  }

  private startProbe(now: number): void {
    const id = nextGeneration();
    const { ctx } = this;
    const socket = net.connect({ host: this.options.host, port: this.options.port, noDelay: true });
    let settled = false;
    const settle = (answered: boolean): void => {
      if (settled) return;
      settled = true;
      ctx.tell(ctx.self, { type: 'Probed', probe: id, answered } satisfies NodeMessage);
    };
    socket.on('connect', () => socket.write('PING\r\n'));
    // Any complete line is an answer: +PONG, or -BUSY and the like from a node that is alive.
    socket.on('data', (chunk: Buffer) => chunk.includes(10) && settle(true));
    socket.on('error', () => {});
    socket.on('close', () => settle(false));
    this.probe = { id, startedAt: now, socket, answered: false };
  }

  private probed(id: number, answered: boolean): void {
    const probe = this.probe;
    if (probe === null || probe.id !== id) return;
    probe.socket.destroy();
    // A connection refused or closed: the node is gone, as a lost link would show soon.
    if (answered) probe.answered = true;
    else this.lost(this.main, this.errors.unavailable, 'node refused a probe connection');
  }

  private endProbe(): void {
    this.probe?.socket.destroy();
    this.probe = null;
  }
}

const health = (node: string, actor: Address, up: boolean, reason?: string): NodeHealth => ({ type: 'NodeHealth', node, actor, up, reason });
const HELLO3 = encodeCommand(['HELLO', '3']);
/** An error reply's text, for the log. */
const firstLine = (reply: Uint8Array): string => Buffer.from(reply.subarray(1, Math.min(reply.length, 200))).toString('latin1').split('\r\n')[0];
/** Stands for the handshake in a RESP3 link's queue; its reply goes nowhere. */
const HANDSHAKE: NodePeer = { address: -1, inflight: 0, lastRouted: 0, replies: null };
