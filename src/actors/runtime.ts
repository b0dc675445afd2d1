// The actor runtime: addresses, mailboxes, a per-turn scheduler, ask with timeout, supervision,
// and placement (an actor runs on this event loop or inside a worker thread behind a MessagePort).
//
// Scheduling is the hot-path lever: tell() only appends to a mailbox; all ready actors are drained
// once per event-loop turn (setImmediate, after the poll phase has read every socket), and each
// actor's flush() runs after its batch, so one actor writes to its socket once per turn.

export type Address = number;

/**
 * Closes an exhaustive `switch` over a message union: a message type without its case is a
 * compile error here. The hot-path actors (connection, node) dispatch with a switch because
 * ts-pattern's match() allocates a matcher per message, which cost 10-20% of throughput at P1;
 * the other actors use ts-pattern.
 */
export function unhandled(msg: never): never {
  throw new Error(`unhandled message ${JSON.stringify(msg)}`);
}

export interface Actor<M> {
  receive(msg: M): void;
  /** Called once after each batch of messages; where an actor writes its socket. */
  flush?(): void;
  /** Messages accepted but not yet answered; answered with an error if the actor crashes. */
  inflight?(): Iterable<M>;
  /** Releases resources (sockets, timers) when the actor stops or crashes. */
  stop?(): void;
}

export interface ActorContext {
  readonly self: Address;
  readonly runtime: Runtime;
  tell(to: Address, msg: unknown): void;
}

export interface Behavior<M> {
  readonly name: string;
  create(ctx: ActorContext): Actor<M>;
  /** Answers a message that the actor could not complete because it crashed. */
  reject?(msg: M, ctx: ActorContext, reason: Error): void;
  /** false: a crash stops the actor for good (its resources, such as a client socket, are gone). */
  readonly restart?: boolean;
}

export interface Runtime {
  tell(to: Address, msg: unknown): void;
  spawn<M>(behavior: Behavior<M>): Address;
  stop(address: Address): void;
  ask<R>(to: Address, build: (replyTo: Address) => unknown, timeoutMs: number): Promise<R>;
}

/** Where messages to an address go when it is not local: another thread's runtime. */
export interface Link {
  send(to: Address, msg: unknown): void;
}

/** An actor's view of the runtime; a class, so ten thousand connections share one tell(). */
class CellContext implements ActorContext {
  constructor(
    readonly self: Address,
    readonly runtime: Runtime,
  ) {}

  tell(to: Address, msg: unknown): void {
    this.runtime.tell(to, msg);
  }
}

interface Cell {
  readonly address: Address;
  readonly behavior: Behavior<unknown>;
  readonly ctx: ActorContext;
  actor: Actor<unknown> | null;
  /**
   * Messages waiting, in mailbox[0..count); null while there are none, so an idle actor (an
   * idle client's connection) holds no array. Arrays come from and go back to a shared pool.
   */
  mailbox: unknown[] | null;
  count: number;
  queued: boolean;
  restarts: number;
  lastRestart: number;
  stopped: boolean;
}

export class AskTimeoutError extends Error {
  constructor(to: Address, ms: number) {
    super(`no reply from actor ${to} within ${ms} ms`);
    this.name = 'AskTimeoutError';
  }
}

export interface RuntimeOptions {
  /** Allocates addresses; a worker's runtime is handed addresses by its parent instead. */
  readonly firstAddress?: number;
  /** Where to send messages for addresses that are not local (a worker's parent). */
  readonly fallback?: Link;
  readonly onCrash?: (behavior: string, error: unknown) => void;
  /** Hears a message to an address no actor has (any more), which is otherwise dropped. */
  readonly onDeadLetter?: (to: Address, msg: unknown, runtime: Runtime) => void;
}

const MAX_BACKOFF_MS = 5000;
// At most 1024 pooled mailboxes of at most 256 slots (2 KiB each); larger ones are left to the collector.
const MAX_KEPT_MAILBOX = 256;
const MAX_POOLED_MAILBOXES = 1024;
const NO_MAIL: unknown[] = [];
const STABLE_AFTER_MS = 10000;

export class ActorRuntime implements Runtime {
  private readonly cells = new Map<Address, Cell>();
  private readonly remote = new Map<Address, Link>();
  // Actors with mail, in ready[0..readyCount); arrays here are reused, never rebuilt per turn,
  // because a fresh array per turn was a steady share of the proxy's garbage.
  private readonly ready: (Cell | undefined)[] = [];
  /** Empty mailbox arrays, reused by whichever actor gets mail next. */
  private readonly mailboxes: unknown[][] = [];
  private readyCount = 0;
  private scheduled = false;
  private current: Cell | null = null;
  private nextAddress: number;
  private readonly options: RuntimeOptions;

  constructor(options: RuntimeOptions = {}) {
    this.options = options;
    this.nextAddress = options.firstAddress ?? 1;
  }

  allocate(): Address {
    return this.nextAddress++;
  }

  spawn<M>(behavior: Behavior<M>, address: Address = this.allocate()): Address {
    const ctx: ActorContext = new CellContext(address, this);
    const cell: Cell = {
      address,
      behavior: behavior as Behavior<unknown>,
      ctx,
      actor: null,
      mailbox: null,
      count: 0,
      queued: false,
      restarts: 0,
      lastRestart: 0,
      stopped: false,
    };
    this.cells.set(address, cell);
    cell.actor = behavior.create(ctx) as Actor<unknown>;
    return address;
  }

  /** Routes an address to another thread (see placement.ts). */
  link(address: Address, via: Link): void {
    this.remote.set(address, via);
  }

  unlink(address: Address): void {
    this.remote.delete(address);
  }

  tell(to: Address, msg: unknown): void {
    const cell = this.cells.get(to);
    if (cell === undefined) {
      const link = this.remote.get(to) ?? this.options.fallback;
      // A message to an actor that has stopped (a closed client) is a dead letter.
      if (link !== undefined) link.send(to, msg);
      else this.options.onDeadLetter?.(to, msg, this);
      return;
    }
    (cell.mailbox ??= this.mailboxes.pop() ?? [])[cell.count++] = msg;
    if (!cell.queued) this.schedule(cell);
  }

  private schedule(cell: Cell): void {
    cell.queued = true;
    this.ready[this.readyCount++] = cell;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Stopping is a message like any other would be: it runs after the work already queued. */
  stop(address: Address): void {
    const cell = this.cells.get(address);
    if (cell === undefined) return;
    cell.stopped = true;
    // A running or queued actor finishes its batch first; run() then completes the stop.
    if (!cell.queued && this.current !== cell) this.finish(cell);
  }

  ask<R>(to: Address, build: (replyTo: Address) => unknown, timeoutMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const address = this.allocate();
      const timer = setTimeout(() => {
        this.cells.delete(address);
        reject(new AskTimeoutError(to, timeoutMs));
      }, timeoutMs);
      this.spawn<R>(
        {
          name: 'ask',
          create: () => ({
            receive: (reply: R) => {
              clearTimeout(timer);
              this.cells.delete(address);
              if (reply instanceof Error) reject(reply);
              else resolve(reply);
            },
          }),
        },
        address,
      );
      this.tell(to, build(address));
    });
  }

  has(address: Address): boolean {
    return this.cells.has(address);
  }

  /** Runs every ready actor's mailbox now; used by tests and by the worker link on arrival. */
  readonly drain = (): void => {
    this.scheduled = false;
    const ready = this.ready;
    // Actors readied while draining (replies, routes) join the same pass.
    for (let i = 0; i < this.readyCount; i++) {
      const cell = ready[i];
      ready[i] = undefined;
      if (cell !== undefined) this.run(cell);
    }
    this.readyCount = 0;
  };

  private run(cell: Cell): void {
    cell.queued = false;
    const actor = cell.actor;
    if (actor === null) return; // restarting: the mailbox waits for the new instance
    const batch = cell.mailbox ?? NO_MAIL;
    const n = cell.count;
    cell.mailbox = null;
    cell.count = 0;
    let i = 0;
    this.current = cell;
    try {
      for (; i < n; i++) actor.receive(batch[i]);
      actor.flush?.();
    } catch (error) {
      this.crash(cell, actor, batch[i], batch.slice(i + 1, n), error);
      if (cell.stopped) this.finish(cell);
      return;
    } finally {
      this.current = null;
      // Messages are released; a mailbox grown by a burst is dropped rather than kept.
      if (batch !== NO_MAIL && batch.length <= MAX_KEPT_MAILBOX && this.mailboxes.length < MAX_POOLED_MAILBOXES) {
        for (let k = 0; k < n; k++) batch[k] = undefined;
        this.mailboxes.push(batch);
      }
    }
    if (cell.stopped) this.finish(cell);
  }

  /** A crashed actor answers what it held with errors, then restarts with back-off. */
  private crash(cell: Cell, actor: Actor<unknown>, failed: unknown, unread: unknown[], error: unknown): void {
    const reason = error instanceof Error ? error : new Error(String(error));
    this.options.onCrash?.(cell.behavior.name, reason);
    const reject = cell.behavior.reject;
    const held: unknown[] = [];
    try {
      if (actor.inflight) for (const m of actor.inflight()) held.push(m);
    } catch {
      // A broken actor may not be able to list its work; what it listed before failing is answered.
    }
    if (failed !== undefined) held.push(failed);
    if (reject) for (const m of held) reject(m, cell.ctx, reason);
    try {
      actor.stop?.();
    } catch {
      // Cleanup of a crashed actor is best effort.
    }
    cell.actor = null;
    if (cell.behavior.restart === false) {
      this.cells.delete(cell.address);
      return;
    }
    const mailbox = unread.concat(cell.mailbox?.slice(0, cell.count) ?? []);
    cell.mailbox = mailbox.length > 0 ? mailbox : null;
    cell.count = mailbox.length;
    const now = Date.now();
    if (now - cell.lastRestart > STABLE_AFTER_MS) cell.restarts = 0;
    const delay = Math.min(MAX_BACKOFF_MS, 10 * 2 ** cell.restarts);
    cell.restarts++;
    setTimeout(() => {
      if (cell.stopped || !this.cells.has(cell.address)) return;
      cell.lastRestart = Date.now();
      cell.actor = cell.behavior.create(cell.ctx);
      if (cell.count > 0 && !cell.queued) this.schedule(cell);
    }, delay).unref();
  }

  private finish(cell: Cell): void {
    this.cells.delete(cell.address);
    try {
      cell.actor?.stop?.();
    } finally {
      cell.actor = null;
    }
  }
}
