// Placement of actors in a worker thread. Every cross-thread message is one of the two shapes
// below; tells are batched into one postMessage per turn in each direction.
import type { Worker } from 'node:worker_threads';
import { startThread } from './threads.js';
import type { ActorRuntime, Address, Link } from './runtime.js';
import type { NodeOptions } from './node.js';
import type { SdkSettings } from '../telemetry/sdk.js';
import { addToBatch, detachBatch, takeBatch, type Batch } from './batch.js';
import { internalError } from '../protocol/errors.js';

/** Actors that may be placed in a worker, by kind, with their (cloneable) start options. */
export interface Placeable {
  node: NodeOptions;
}

export type ToWorker =
  | { readonly op: 'spawn'; readonly address: Address; readonly kind: keyof Placeable; readonly options: Placeable[keyof Placeable] }
  | { readonly op: 'stop'; readonly address: Address }
  | { readonly op: 'tell'; readonly batch: readonly (readonly [Address, unknown])[] }
  /** Install the main thread's OpenTelemetry SDK here too (spans made here export from here); answered by tracingInstalled. */
  | { readonly op: 'installTracing'; readonly settings: SdkSettings }
  /** Export the spans still held here, before the worker is terminated; answered by tracingFlushed. */
  | { readonly op: 'flushTracing' };

type TracingAnswer = { readonly op: 'tracingInstalled' } | { readonly op: 'tracingFlushed' };

export type FromWorker = { readonly op: 'tell'; readonly batch: readonly (readonly [Address, unknown])[] } | TracingAnswer;

/** How long the main thread waits for the worker's tracing to be installed or flushed. */
const TRACING_TIMEOUT_MS = 5000;

/**
 * Byte payloads travel in `batch.bytes`. A view into a larger buffer would be cloned whole, so
 * each is copied down to its own bytes; and the batch is copied out of the pool, because it is
 * cloned only when the turn's messages are posted, after its sender may have reused it.
 */
function portable(msg: unknown): unknown {
  const batch = (msg as { batch?: Batch }).batch;
  if (batch === undefined || typeof batch.count !== 'number') return msg;
  return { ...(msg as object), batch: detachBatch(batch, ownBytes) };
}

const ownBytes = (b: Uint8Array): Uint8Array => (b.byteLength === b.buffer.byteLength ? b : Uint8Array.prototype.slice.call(b));

/** Collects tells for another thread and posts them once per turn. */
export class BatchingLink implements Link {
  private batch: (readonly [Address, unknown])[] = [];

  constructor(private readonly post: (batch: (readonly [Address, unknown])[]) => void) {}

  send(to: Address, msg: unknown): void {
    if (this.batch.length === 0) setImmediate(this.flush);
    this.batch.push([to, portable(msg)]);
  }

  private readonly flush = (): void => {
    const batch = this.batch;
    this.batch = [];
    this.post(batch);
  };
}

/** Delivers a batch that arrived from another thread, then runs it at once. */
export function deliver(runtime: ActorRuntime, batch: readonly (readonly [Address, unknown])[]): void {
  for (const [to, msg] of batch) runtime.tell(to, msg);
  runtime.drain();
}

/**
 * The requests inside a worker that have not been answered yet, by the address their reply goes
 * to, each as slot * PARTS + part + 1: when the worker dies, the host answers each with an error,
 * since replies go out in order and one lost reply would stall its client for good.
 */
class Unanswered {
  private readonly byPeer = new Map<Address, Set<number>>();

  sent(msg: unknown): void {
    const route = msg as { type?: string; replyTo: Address; batch: Batch };
    if (route.type !== 'Route') return;
    let keys = this.byPeer.get(route.replyTo);
    if (keys === undefined) this.byPeer.set(route.replyTo, (keys = new Set()));
    const { batch } = route;
    for (let i = 0; i < batch.count; i++) keys.add(key(batch.slots[i], batch.parts[i]));
  }

  answered(to: Address, msg: unknown): void {
    const replied = msg as { type?: string; batch: Batch };
    if (replied.type !== 'Replied') return;
    const keys = this.byPeer.get(to);
    if (keys === undefined) return;
    const { batch } = replied;
    for (let i = 0; i < batch.count; i++) keys.delete(key(batch.slots[i], batch.parts[i]));
    if (keys.size === 0) this.byPeer.delete(to);
  }

  /** Answers every unanswered request with an error, and forgets them. */
  fail(runtime: ActorRuntime): void {
    for (const [peer, keys] of this.byPeer) {
      const batch = takeBatch();
      for (const k of keys) addToBatch(batch, Math.floor(k / PARTS), (k % PARTS) - 1, internalError);
      runtime.tell(peer, { type: 'Replied', batch });
    }
    this.byPeer.clear();
  }
}

/** More parts than any split request has (one per node it touches). */
const PARTS = 4096;
const key = (slot: number, part: number): number => slot * PARTS + part + 1;

/** The main thread's side of one worker thread that hosts actors; restarts it if it dies. */
export class WorkerHost {
  private worker: Worker;
  private readonly link: Link;
  private readonly spawned: ToWorker[] = [];
  private readonly unanswered = new Unanswered();
  private closing = false;

  /** Who waits for each of the worker's tracing answers. */
  private readonly waiting = new Map<TracingAnswer['op'], () => void>();
  private installed: Promise<void> = Promise.resolve();

  constructor(
    private readonly runtime: ActorRuntime,
    private readonly onError: (error: Error) => void,
    /** The SDK the main thread installed, installed in the worker too. */
    private readonly tracing?: SdkSettings,
  ) {
    const batching = new BatchingLink((batch) => this.worker.postMessage({ op: 'tell', batch } satisfies ToWorker));
    this.link = {
      send: (to, msg) => {
        this.unanswered.sent(msg);
        batching.send(to, msg);
      },
    };
    this.worker = this.start();
  }

  spawn<K extends keyof Placeable>(kind: K, options: Placeable[K]): Address {
    const address = this.runtime.allocate();
    const msg: ToWorker = { op: 'spawn', address, kind, options };
    this.spawned.push(msg);
    this.worker.postMessage(msg);
    this.runtime.link(address, this.link);
    return address;
  }

  /** Stops an actor spawned here; what was told to it before goes first, and it is not restarted with the worker. */
  stop(address: Address): void {
    this.runtime.unlink(address);
    const i = this.spawned.findIndex((m) => m.op === 'spawn' && m.address === address);
    if (i >= 0) this.spawned.splice(i, 1);
    // After this turn's batch of tells, which is posted first.
    setImmediate(() => this.worker.postMessage({ op: 'stop', address } satisfies ToWorker));
  }

  /** Resolves once the worker's SDK is installed, so that no early span made there is lost. */
  tracingInstalled(): Promise<void> {
    return this.installed;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.tracing !== undefined) {
      const flushed = this.answer('tracingFlushed');
      this.worker.postMessage({ op: 'flushTracing' } satisfies ToWorker);
      await flushed;
    }
    await this.worker.terminate();
  }

  /** The worker's next answer `op`, or nothing after a timeout (the worker may be gone). */
  private answer(op: TracingAnswer['op']): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, TRACING_TIMEOUT_MS);
      timer.unref();
      this.waiting.set(op, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private start(): Worker {
    const worker = startThread(import.meta.url, 'worker');
    worker.unref();
    worker.on('message', (m: FromWorker) => {
      if (m.op === 'tell') {
        for (const [to, msg] of m.batch) this.unanswered.answered(to, msg);
        deliver(this.runtime, m.batch);
      } else this.waiting.get(m.op)?.();
    });
    if (this.tracing !== undefined) {
      this.installed = this.answer('tracingInstalled');
      worker.postMessage({ op: 'installTracing', settings: this.tracing } satisfies ToWorker);
    }
    worker.on('error', this.onError);
    // Requests that were inside a dead worker are answered with an error here; the actors are
    // started again so new ones are served.
    worker.on('exit', () => {
      if (this.closing) return;
      this.unanswered.fail(this.runtime);
      this.worker = this.start();
      for (const msg of this.spawned) this.worker.postMessage(msg);
    });
    return worker;
  }
}
