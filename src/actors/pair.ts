// PairActor, one per (old owner, new owner) of a handoff: the routing ring sends it the requests
// whose keys move between the two while the old owner is not drained. During prepare it holds
// them; once every proxy has acknowledged (go) it moves each request's keys to the new owner
// first, then sends the request there; if the change is abandoned it sends them to the old owner.
// Requests touching one key leave in the order they came, so a client's writes keep their order.
import type { Handoff } from '../handoff/handoff.js';
import { requestKeys } from '../handoff/request-keys.js';
import { internalError } from '../protocol/errors.js';
import type { RequestTrace } from '../telemetry/request-trace.js';
import { refuseRoute } from './dead-letters.js';
import { addToBatch, releaseBatch, takeBatch, type RequestBatch } from './batch.js';
import type { NodeMessage, PairMessage, Replied } from './messages.js';
import { unhandled, type Actor, type ActorContext, type Address, type Behavior } from './runtime.js';

export interface PairOptions {
  readonly from: string;
  readonly to: string;
  /** The NodeActors of the old and the new owner. */
  readonly fromNode: Address;
  readonly toNode: Address;
  readonly handoff: Handoff;
  /** Whether requests are held (prepare) or moved (handoff) at first. */
  readonly holding: boolean;
}

export function pairBehavior(options: PairOptions): Behavior<PairMessage> {
  return {
    name: `pair ${options.from} -> ${options.to}`,
    create: (ctx) => new PairActor(ctx, options),
    reject: (msg, ctx) => refuseRoute(msg, ctx),
  };
}

interface Job {
  readonly replyTo: Address;
  readonly slot: number;
  readonly part: number;
  readonly bytes: Uint8Array;
  readonly trace: RequestTrace | undefined;
  readonly slow: boolean;
  readonly resp3: boolean;
}

type Mode = 'hold' | 'move' | 'old';

class PairActor implements Actor<PairMessage> {
  private mode: Mode;
  private readonly held: Job[] = [];
  /** Keys moved already: later requests for them go straight on (after the ones before them). */
  private readonly moved = new Set<string>();
  /** The last job of each key still on its way, which the next job touching the key waits for. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Keys to move together at the end of this turn of jobs, and the move's outcome. */
  private batch: { readonly keys: Buffer[]; readonly done: Promise<void> } | null = null;

  constructor(
    private readonly ctx: ActorContext,
    private readonly options: PairOptions,
  ) {
    this.mode = options.holding ? 'hold' : 'move';
  }

  receive(msg: PairMessage): void {
    switch (msg.type) {
      case 'Route':
        return this.route(msg);
      case 'Go':
        if (this.mode !== 'hold') return;
        this.mode = 'move';
        for (const job of this.held.splice(0)) this.start(job);
        return;
      case 'Abandon':
        this.mode = 'old';
        for (const job of this.held.splice(0)) this.send(this.options.fromNode, job);
        return;
      default:
        return unhandled(msg);
    }
  }

  stop(): void {
    // Nothing may be left unanswered by a pair that stops.
    for (const job of this.held.splice(0)) this.send(this.options.toNode, job);
  }

  private route(msg: Extract<NodeMessage, { type: 'Route' }>): void {
    const { batch } = msg;
    for (let i = 0; i < batch.count; i++) {
      const job: Job = {
        replyTo: msg.replyTo,
        slot: batch.slots[i],
        part: batch.parts[i],
        bytes: batch.bytes[i],
        trace: batch.traces?.[i],
        slow: msg.slow === true,
        resp3: msg.resp3 === true,
      };
      if (this.mode === 'hold') this.held.push(job);
      else if (this.mode === 'old') this.send(this.options.fromNode, job);
      else this.start(job);
    }
    releaseBatch(batch);
  }

  /** Moves the job's keys unless moved already, after every earlier job on them, then sends it on. */
  private start(job: Job): void {
    let keys: Buffer[];
    try {
      keys = requestKeys(job.bytes);
    } catch {
      keys = [];
    }
    const names = keys.map((k) => k.toString('latin1'));
    // A keyless request (SCAN ... hash=) waits for everything before it in this pair.
    const before = names.length === 0 ? [...this.tails.values()] : names.flatMap((n) => this.tails.get(n) ?? []);
    const done: Promise<void> = Promise.all(before)
      .then(() => this.moveSoon(keys.filter((_, i) => !this.moved.has(names[i]))))
      .then(
        () => {
          for (const n of names) this.moved.add(n);
          this.send(this.options.toNode, job);
        },
        () => this.answer(job, internalError),
      )
      .finally(() => {
        for (const n of names) if (this.tails.get(n) === done) this.tails.delete(n);
      });
    for (const n of names) this.tails.set(n, done);
  }

  /**
   * Moves `keys` with the others asked for in the same turn of jobs: one move (one MIGRATE) for
   * all of them, so many clients' requests cost one round trip to the old owner, not one each.
   */
  private moveSoon(keys: readonly Buffer[]): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    if (this.batch === null) {
      const batch: Buffer[] = [];
      this.batch = { keys: batch, done: new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => {
        this.batch = null;
        return this.options.handoff.premove(batch, this.options.from, this.options.to);
      }) };
    }
    this.batch.keys.push(...keys);
    return this.batch.done;
  }

  private send(node: Address, job: Job): void {
    const batch: RequestBatch = takeBatch();
    addToBatch(batch, job.slot, job.part, job.bytes);
    if (job.trace !== undefined) batch.traces = [job.trace];
    const msg: NodeMessage = { type: 'Route', replyTo: job.replyTo, batch, slow: job.slow, resp3: job.resp3 };
    this.ctx.tell(node, msg);
  }

  private answer(job: Job, bytes: Uint8Array): void {
    const batch = takeBatch();
    addToBatch(batch, job.slot, job.part, bytes);
    this.ctx.tell(job.replyTo, { type: 'Replied', batch } satisfies Replied);
  }
}
