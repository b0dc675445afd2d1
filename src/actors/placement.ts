// Placement of actors in a worker thread. Every cross-thread message is one of the two shapes
// below; tells are batched into one postMessage per turn in each direction.
import { Worker } from 'node:worker_threads';
import type { ActorRuntime, Address, Link } from './runtime.js';
import type { NodeOptions } from './node.js';

/** Actors that may be placed in a worker, by kind, with their (cloneable) start options. */
export interface Placeable {
  node: NodeOptions;
}

export type ToWorker =
  | { readonly op: 'spawn'; readonly address: Address; readonly kind: keyof Placeable; readonly options: Placeable[keyof Placeable] }
  | { readonly op: 'stop'; readonly address: Address }
  | { readonly op: 'tell'; readonly batch: readonly (readonly [Address, unknown])[] };

export type FromWorker = { readonly op: 'tell'; readonly batch: readonly (readonly [Address, unknown])[] };

/**
 * Byte payloads travel in a field named `bytes`. A view into a larger buffer would be cloned
 * whole, so it is copied down to its own bytes first.
 */
function portable(msg: unknown): unknown {
  const bytes = (msg as { bytes?: unknown }).bytes;
  if (bytes instanceof Uint8Array && bytes.byteLength !== bytes.buffer.byteLength) {
    return { ...(msg as object), bytes: Uint8Array.prototype.slice.call(bytes) };
  }
  return msg;
}

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

/** The main thread's side of one worker thread that hosts actors. */
export class WorkerHost {
  private readonly worker: Worker;
  private readonly link: BatchingLink;

  constructor(
    private readonly runtime: ActorRuntime,
    onError: (error: Error) => void,
  ) {
    const here = new URL(import.meta.url);
    const entry = new URL(`./worker${here.pathname.endsWith('.ts') ? '.ts' : '.js'}`, here);
    this.worker = new Worker(entry);
    this.worker.unref();
    this.link = new BatchingLink((batch) => this.worker.postMessage({ op: 'tell', batch } satisfies ToWorker));
    this.worker.on('message', (m: FromWorker) => deliver(runtime, m.batch));
    this.worker.on('error', onError);
  }

  spawn<K extends keyof Placeable>(kind: K, options: Placeable[K]): Address {
    const address = this.runtime.allocate();
    this.worker.postMessage({ op: 'spawn', address, kind, options } satisfies ToWorker);
    this.runtime.link(address, this.link);
    return address;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
