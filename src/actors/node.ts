// NodeActor, the "ring actor": one per Redis node. Owns the node's backend connection and the
// ordered queue of requests in flight on it, pipelines every client's requests over it (one write
// per turn), matches replies to requests in order and hands back the reply bytes untouched.
import net from 'node:net';
import { ReplyFramer, ReplyProtocolError } from '../protocol/replies.js';
import { EMPTY, joinBytes } from '../protocol/bytes.js';
import { internalError, nodeProtocolError, nodeTimeout, nodeUnavailable } from '../protocol/errors.js';
import { PendingQueue } from './pending.js';
import { unhandled, type Actor, type ActorContext, type Address, type Behavior } from './runtime.js';
import type { Replied } from './connection.js';
import { addToBatch, answerAll, releaseBatch, takeBatch, type ReplyBatch, type RequestBatch } from './batch.js';
import type { NodeHealth } from './membership.js';
import { BackendTracing, type FailureType, type Hop } from '../telemetry/backend.js';
import type { RequestTrace } from '../telemetry/request-trace.js';

export type NodeMessage =
  | { readonly type: 'Route'; readonly replyTo: Address; readonly batch: RequestBatch }
  | { readonly type: 'Received'; readonly generation: number; readonly chunk: Buffer }
  | { readonly type: 'Connected'; readonly generation: number }
  | { readonly type: 'Disconnected'; readonly generation: number; readonly reason: string }
  | { readonly type: 'Tick' }
  | { readonly type: 'Reconnect' };

type Route = Extract<NodeMessage, { type: 'Route' }>;

/** A connection with requests on this node, and the replies gathered for it while a chunk is framed. */
interface NodePeer {
  readonly address: Address;
  /** Its requests still in the queue. */
  inflight: number;
  /** When it last sent a request (ms), for forgetting idle peers. */
  lastRouted: number;
  replies: ReplyBatch | null;
}

/** A peer with nothing in flight for this long is forgotten (its connection may be gone). */
const PEER_IDLE_MS = 10_000;

// Link generations are unique in this thread, not per actor instance: a restarted NodeActor
// inherits its predecessor's mailbox, where the old socket's messages may still wait.
let lastGeneration = 0;
const nextGeneration = (): number => ++lastGeneration;

export interface NodeOptions {
  readonly id: string; // host:port
  readonly host: string;
  readonly port: number;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMaxDelayMs: number;
  /** Who hears about this node going up or down (the MembershipActor). */
  readonly health?: Address;
}

type LinkState = 'connecting' | 'up' | 'down';

export function nodeBehavior(options: NodeOptions): Behavior<NodeMessage> {
  return {
    name: `node ${options.id}`,
    create: (ctx) => new NodeActor(ctx, options),
    // A crashed NodeActor's clients get an error in their request's place, never silence.
    reject: (msg, ctx) => {
      if (msg.type === 'Route') ctx.tell(msg.replyTo, replied(answerAll(msg.batch, internalError)));
    },
  };
}

const replied = (batch: ReplyBatch): Replied => ({ type: 'Replied', batch });

class NodeActor implements Actor<NodeMessage> {
  private state: LinkState = 'connecting';
  private socket: net.Socket | null = null;
  private generation = 0;
  private framer = new ReplyFramer();
  private readonly pending = new PendingQueue<NodePeer>();
  private readonly peers = new Map<Address, NodePeer>();
  private lastPeerSweep = Date.now();
  // Peers with replies gathered while one chunk is framed, each sent as one message.
  private readonly answered: (NodePeer | undefined)[] = [];
  private answeredCount = 0;
  // Request bytes to write at the end of the turn; entries past outboxCount are stale.
  private readonly outbox: Uint8Array[] = [];
  private outboxCount = 0;
  private failures = 0;
  private checkDue = false;
  private connectStarted = 0;
  private readonly ticker: NodeJS.Timeout;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly errors: { unavailable: Buffer; timeout: Buffer; badReply: Buffer };
  /** Spans of sampled requests only: untraced ones never reach it. */
  private readonly tracing: BackendTracing;

  constructor(
    private readonly ctx: ActorContext,
    private readonly options: NodeOptions,
  ) {
    this.errors = {
      unavailable: nodeUnavailable(options.id),
      timeout: nodeTimeout(options.id),
      badReply: nodeProtocolError(options.id),
    };
    this.tracing = new BackendTracing(options);
    const every = Math.max(10, Math.min(250, Math.floor(options.requestTimeoutMs / 4)));
    this.ticker = setInterval(() => ctx.tell(ctx.self, { type: 'Tick' }), every);
    this.ticker.unref();
    this.connect();
  }

  receive(msg: NodeMessage): void {
    switch (msg.type) {
      case 'Route':
        return this.route(msg);
      case 'Received':
        if (msg.generation === this.generation) this.received(msg.chunk);
        return;
      case 'Connected':
        if (msg.generation === this.generation) this.connected();
        return;
      case 'Disconnected':
        if (msg.generation === this.generation) this.lost(this.errors.unavailable, msg.reason);
        return;
      case 'Tick':
        this.checkDue = true;
        return;
      case 'Reconnect':
        return this.connect();
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
    if (this.state !== 'up' || this.outboxCount === 0) return;
    this.socket!.write(joinBytes(this.outbox, this.outboxCount));
    this.clearOutbox();
    if (this.tracing.waiting) this.tracing.written();
  }

  private clearOutbox(): void {
    for (let i = 0; i < this.outboxCount; i++) this.outbox[i] = EMPTY;
    this.outboxCount = 0;
  }

  /** What a crash must answer: the pending requests (taken out, so stop() does not answer them twice). */
  *inflight(): Iterable<NodeMessage> {
    const { pending } = this;
    while (pending.length > 0) {
      const batch = takeBatch();
      addToBatch(batch, pending.slot, pending.part, EMPTY);
      const replyTo = pending.peer.address;
      const hop = pending.hop;
      pending.shift();
      // The request's spans end as failed: the crash ended its round trip.
      if (hop !== undefined) this.tracing.failed(hop, 'node_unavailable', internalError);
      yield { type: 'Route', replyTo, batch };
    }
  }

  stop(): void {
    clearInterval(this.ticker);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.failAll(this.errors.unavailable);
    this.generation = nextGeneration();
    this.socket?.destroy();
    this.socket = null;
  }

  private route({ replyTo, batch }: Route): void {
    const { count, slots, parts, bytes, traces } = batch;
    if (this.state === 'down') {
      const error = this.errors.unavailable;
      if (traces !== undefined) this.refuseTraced(traces, error);
      this.ctx.tell(replyTo, replied(answerAll(batch, error)));
      releaseBatch(batch);
      return;
    }
    const at = Date.now();
    const peer = this.peerOf(replyTo, at);
    peer.inflight += count;
    const { outbox } = this;
    for (let i = 0; i < count; i++) {
      const hop = traces === undefined ? undefined : this.arrivedTraced(traces[i]);
      this.pending.push(peer, slots[i], parts[i], at, hop);
      outbox[this.outboxCount++] = bytes[i];
    }
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

  private arrivedTraced(trace: RequestTrace | undefined): Hop | undefined {
    return trace === undefined ? undefined : this.tracing.arrived(trace, this.pending.length);
  }

  private refuseTraced(traces: readonly (RequestTrace | undefined)[], error: Buffer): void {
    for (const trace of traces) if (trace !== undefined) this.tracing.refused(trace, this.pending.length, 'node_unavailable', error);
  }

  /** Answers the oldest pending request with `bytes` and removes it; returns its hop, if traced. */
  private answerOldest(bytes: Uint8Array): Hop | undefined {
    const { pending } = this;
    const peer = pending.peer;
    let batch = peer.replies;
    if (batch === null) {
      batch = peer.replies = takeBatch();
      this.answered[this.answeredCount++] = peer;
    }
    addToBatch(batch, pending.slot, pending.part, bytes);
    peer.inflight--;
    const hop = pending.hop;
    pending.shift();
    return hop;
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

  private received(chunk: Buffer): void {
    this.framer.push(chunk);
    try {
      for (let reply = this.framer.next(); reply !== null; reply = this.framer.next()) {
        if (this.pending.length === 0) throw new ReplyProtocolError('a reply nobody asked for');
        const hop = this.answerOldest(reply);
        if (hop !== undefined) this.tracing.replied(hop, reply);
      }
    } catch (error) {
      if (!(error instanceof ReplyProtocolError)) throw error;
      this.sendAnswers();
      this.lost(this.errors.badReply, error.message);
    }
    this.sendAnswers();
  }

  private connect(): void {
    this.reconnectTimer = null;
    const generation = (this.generation = nextGeneration());
    const { ctx } = this;
    this.state = 'connecting';
    this.connectStarted = Date.now();
    this.framer = new ReplyFramer();
    const socket = net.connect({ host: this.options.host, port: this.options.port, noDelay: true });
    socket.setKeepAlive(true, 300_000);
    socket.on('connect', () => ctx.tell(ctx.self, { type: 'Connected', generation }));
    socket.on('data', (chunk: Buffer) => ctx.tell(ctx.self, { type: 'Received', generation, chunk }));
    socket.on('error', () => {});
    socket.on('close', () => ctx.tell(ctx.self, { type: 'Disconnected', generation, reason: 'connection closed' }));
    this.socket = socket;
  }

  private connected(): void {
    this.state = 'up';
    this.failures = 0;
    if (this.options.health !== undefined) this.ctx.tell(this.options.health, health(this.options.id, true));
    this.flush();
  }

  /** The link failed: every request on it gets `error`, in order, and the node is retried later. */
  private lost(error: Buffer, reason: string): void {
    const wasUp = this.state === 'up';
    this.generation = nextGeneration();
    this.socket?.destroy();
    this.socket = null;
    this.state = 'down';
    this.failAll(error);
    this.failures++;
    if (wasUp && this.options.health !== undefined) this.ctx.tell(this.options.health, health(this.options.id, false, reason));
    const delay = Math.min(this.options.reconnectMaxDelayMs, 50 * 2 ** Math.min(this.failures - 1, 10));
    this.reconnectTimer = setTimeout(() => this.ctx.tell(this.ctx.self, { type: 'Reconnect' }), delay);
    this.reconnectTimer.unref();
  }

  private failAll(error: Buffer): void {
    const failure = this.failureOf(error);
    while (this.pending.length > 0) {
      const hop = this.answerOldest(error);
      if (hop !== undefined) this.tracing.failed(hop, failure, error);
    }
    this.sendAnswers();
    this.clearOutbox();
    this.tracing.discardUnwritten();
  }

  private failureOf(error: Buffer): FailureType {
    return error === this.errors.timeout ? 'timeout' : error === this.errors.badReply ? 'protocol_error' : 'node_unavailable';
  }

  /** Replies come in order, so if the oldest request is late, the whole link is stuck. */
  private checkTimeouts(): void {
    const now = Date.now();
    if (this.state === 'connecting' && now - this.connectStarted > this.options.connectTimeoutMs) {
      this.lost(this.errors.unavailable, 'connect timed out');
      return;
    }
    const oldest = this.pending.oldestAt();
    if (oldest >= 0 && now - oldest > this.options.requestTimeoutMs) {
      this.lost(this.errors.timeout, 'request timed out');
      return;
    }
    this.sweepPeers(now);
  }
}


const health = (node: string, up: boolean, reason?: string): NodeHealth => ({ type: 'NodeHealth', node, up, reason });
