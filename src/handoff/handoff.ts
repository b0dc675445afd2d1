// What a proxy's handoff pairs and its migrator share while keys move: the key mover, the locks
// that serialize moves of one key, and the clients of every node involved. Owned by the
// MembershipActor; the pair actors and the migrator only call into it.
import type { Ring } from '../ring/ring.js';
import { KeyLocks } from './locks.js';
import { isDown } from './reachable.js';
import { KeyMover, type MoveOptions, type NodeEnd } from './mover.js';
import { drainNode, type BatchMover, type DrainOptions, type DrainProgress } from './migrator.js';
import type { PlacementIndex } from './placement-index.js';

export interface HandoffSettings extends MoveOptions, DrainOptions {
  /** Attempts of one move before it is given up and reported. */
  readonly attempts: number;
}

const latin1 = (key: Buffer): string => key.toString('latin1');

export class Handoff {
  readonly locks = new KeyLocks();
  private readonly mover: KeyMover;
  /** Every move, by a client's request or by the migrator: behind the key locks, index entries carried along. */
  private readonly locked: BatchMover;
  /** Client pre-moves that failed every attempt: the request ran on the new owner anyway (reported). */
  premoveFailures = 0;
  lastFailure: string | null = null;

  constructor(
    /** The data client (database 0) of a member by id; undefined for an unknown one. */
    private readonly endOf: (id: string) => NodeEnd | undefined,
    private readonly settings: HandoffSettings,
    private readonly log: (event: string, fields: Record<string, unknown>) => void,
    index: PlacementIndex,
  ) {
    this.mover = new KeyMover(settings);
    this.locked = {
      move: (keys, from, to) =>
        this.locks.run(keys.map(latin1), async () => {
          // Sent together on the old owner's connection: one round trip for both.
          const [counts, placed] = await Promise.all([this.mover.move(keys, from, to), index.lookup(from.client, keys)]);
          await index.carry(keys, placed, from.client, to.client);
          return counts;
        }),
      placedBy: (from, keys) => index.lookup(from.client, keys),
    };
  }

  /** The method in use (auto turns into restore after a refused MIGRATE). */
  get method(): string {
    return this.mover.current;
  }

  /** Moves the keys one request touches from `from` to `to` before the request runs on `to`. */
  async premove(keys: readonly Buffer[], from: string, to: string): Promise<void> {
    if (keys.length === 0) return;
    const source = this.endOf(from);
    const target = this.endOf(to);
    if (source === undefined || target === undefined) return;
    for (let attempt = 1; ; attempt++) {
      try {
        // An old owner known to be down fails at once rather than after a reconnect attempt.
        if (isDown(source.client)) throw new Error(`${from} is down`);
        await this.locked.move(keys, source, target);
        return;
      } catch (error) {
        if (attempt >= this.settings.attempts || isDown(source.client)) {
          // Best effort: a dead old owner's keys become misses; the request still runs.
          this.premoveFailures++;
          const message = (error as Error).message;
          // One line per kind of failure, not one per request.
          if (message !== this.lastFailure) this.log('moving a key before its request failed; the request runs on the new owner', { from, to, err: message });
          this.lastFailure = message;
          return;
        }
      }
    }
  }

  /** Drains one old owner: every key it owned (by name, or by its indexed hash key) under `previous` that `next` gives to another node. */
  async drain(from: string, previous: Ring, next: Ring, progress: (p: Readonly<DrainProgress>) => void): Promise<DrainProgress> {
    const source = this.endOf(from);
    if (source === undefined) throw new Error(`no client for ${from}`);
    if (isDown(source.client)) throw new Error(`${from} is down`);
    const ends = new Map(next.members.map((m) => [m.id, this.endOf(m.id)!]));
    return drainNode(source, previous, next, ends, this.locked, this.settings, progress);
  }
}
