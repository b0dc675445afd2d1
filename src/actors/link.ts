// One backend connection of a NodeActor and what rides on it: the socket, its reply framer, the
// ordered queue of requests in flight, and the bytes waiting for the turn's write. The NodeActor
// decides what happens to them (answers, timeouts, reconnects); a link only holds the state.
import net from 'node:net';
import tls from 'node:tls';
import { connectOptions, type NodeTls } from '../security/tls.js';
import { ReplyFramer } from '../protocol/replies.js';
import { EMPTY, joinBytes } from '../protocol/bytes.js';
import { PendingQueue } from './pending.js';
import type { ActorContext } from './runtime.js';
import type { LinkMessage } from './messages.js';
import type { BackendTracing } from '../telemetry/backend.js';

export type LinkState = 'idle' | 'connecting' | 'up' | 'down';

/** A NodeActor's links: shared (main), for slow commands (side), each in both protocols; leased; subscriber. */
export type LinkName = 'main' | 'side' | 'main3' | 'side3' | 'lease' | 'pubsub';

// Generations are unique in this thread, not per link or actor instance: a restarted NodeActor
// inherits its predecessor's mailbox, where the old sockets' messages may still wait.
let lastGeneration = 0;
export const nextGeneration = (): number => ++lastGeneration;

export class BackendLink<Peer> {
  state: LinkState = 'idle';
  generation = 0;
  socket: net.Socket | null = null;
  framer = new ReplyFramer();
  readonly pending = new PendingQueue<Peer>();
  /**
   * The oldest `expired` requests in `pending` were already answered (they timed out); their
   * replies, when the node sends them, are read and dropped.
   */
  expired = 0;
  /** The link's first reply answers jupiter's AUTH (backend.password): an error means the node refused it. */
  authenticating = false;
  /** When the link last delivered a reply, or came up (ms). */
  lastProgress = 0;
  connectStarted = 0;
  /** Consecutive failed connects or lost links, for the reconnect back-off. */
  failures = 0;
  reconnectTimer: NodeJS.Timeout | null = null;
  // Request bytes to write at the end of the turn; entries past outboxCount are stale.
  private readonly outbox: Uint8Array[] = [];
  private outboxCount = 0;
  private outboxBytes = 0;

  constructor(
    readonly name: LinkName,
    readonly tracing: BackendTracing,
    /** Speaks RESP3 to the node (HELLO 3 first on every connection), for RESP3 clients. */
    readonly resp3 = false,
  ) {}

  /** Requests in flight that still wait for an answer. */
  get unanswered(): number {
    return this.pending.length - this.expired;
  }

  /** Bytes accepted for this node but not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.outboxBytes + (this.socket === null ? 0 : this.socket.writableLength);
  }

  queue(bytes: Uint8Array): void {
    this.outbox[this.outboxCount++] = bytes;
    this.outboxBytes += bytes.length;
  }

  /** Writes the turn's requests in one write, once the link is up. */
  write(): void {
    if (this.state !== 'up' || this.outboxCount === 0) return;
    this.socket!.write(joinBytes(this.outbox, this.outboxCount));
    this.clearOutbox();
    if (this.tracing.waiting) this.tracing.written();
  }

  clearOutbox(): void {
    for (let i = 0; i < this.outboxCount; i++) this.outbox[i] = EMPTY;
    this.outboxCount = 0;
    this.outboxBytes = 0;
  }

  connect(ctx: ActorContext, host: string, port: number, secure?: NodeTls): void {
    this.reconnectTimer = null;
    const generation = (this.generation = nextGeneration());
    this.state = 'connecting';
    this.connectStarted = Date.now();
    this.framer = new ReplyFramer();
    const socket = secure === undefined ? net.connect({ host, port, noDelay: true }) : tls.connect({ ...connectOptions(secure, host), host, port });
    if (secure !== undefined) socket.setNoDelay(true);
    socket.setKeepAlive(true, 300_000);
    // Over TLS the link is usable once the handshake is done, not at the TCP connect.
    socket.on(secure === undefined ? 'connect' : 'secureConnect', () => ctx.tell(ctx.self, { type: 'Connected', generation } satisfies LinkMessage));
    socket.on('data', (chunk: Buffer) => ctx.tell(ctx.self, { type: 'Received', generation, chunk } satisfies LinkMessage));
    // The error, if any, says why the link closed: a typo in an address shows as ENOTFOUND or ECONNREFUSED.
    let failure = '';
    socket.on('error', (error: NodeJS.ErrnoException) => (failure ||= error.code ?? error.message));
    socket.on('close', () => {
      const reason = failure === '' ? 'connection closed' : `connection failed: ${failure}`;
      ctx.tell(ctx.self, { type: 'Disconnected', generation, reason } satisfies LinkMessage);
    });
    this.socket = socket;
  }

  up(now: number): void {
    this.state = 'up';
    this.failures = 0;
    this.lastProgress = now;
  }

  /** Closes the socket; whatever it still sends is ignored (a new generation). */
  close(state: LinkState): void {
    this.generation = nextGeneration();
    this.socket?.destroy();
    this.socket = null;
    this.state = state;
  }

  stop(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.close('down');
  }
}
