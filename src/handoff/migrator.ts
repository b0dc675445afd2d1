// The background migrator of a handoff: walks one old owner with SCAN, finds the keys that the new
// ring gives to another node, and moves them there in batches, at a bounded rate so that client
// traffic keeps its latency. A key is placed by its name, or by the hash key the placement index
// holds for it (written with hash= or index=). A key that neither gives to the old owner under the
// old ring is left in place rather than guessed at.
import type { Ring } from '../ring/ring.js';
import { ownerOfKey } from '../routing/hashkey.js';
import { addCounts, emptyCounts, type MoveCounts, type NodeEnd } from './mover.js';

/** What moves a batch of keys from one node to another (the key mover, behind the key locks). */
export interface BatchMover {
  move(keys: readonly Buffer[], from: NodeEnd, to: NodeEnd): Promise<MoveCounts>;
  /** The hash key each key was written with (placement index), or null for one placed by name. */
  placedBy(from: NodeEnd, keys: readonly Buffer[]): Promise<(Buffer | null)[]>;
}

export interface DrainOptions {
  /** SCAN COUNT: keys looked at per step. */
  readonly batch: number;
  /** Keys moved per second at most (0: no limit). */
  readonly keysPerSecond: number;
  readonly hashTags: boolean;
}

export interface DrainProgress extends MoveCounts {
  /** Keys looked at so far. */
  scanned: number;
  /** Keys on the old owner that neither their name nor an index entry places there. */
  leftInPlace: number;
  /** Whether the SCAN has come back to cursor 0. */
  done: boolean;
}

/**
 * Moves every key `from` owns under `previous` whose owner in `next` is another node to that
 * node; resolves when the SCAN is complete. `nodes` has an end for every member of `next`.
 * Reports after each step.
 */
export async function drainNode(
  from: NodeEnd,
  previous: Ring,
  next: Ring,
  nodes: ReadonlyMap<string, NodeEnd>,
  mover: BatchMover,
  options: DrainOptions,
  progress: (p: Readonly<DrainProgress>) => void = () => {},
): Promise<DrainProgress> {
  const state: DrainProgress = { ...emptyCounts(), scanned: 0, leftInPlace: 0, done: false };
  const started = Date.now();
  let cursor = '0';
  do {
    const [nextCursor, keys] = (await from.client.scanBuffer(cursor, 'COUNT', options.batch)) as [Buffer, Buffer[]];
    cursor = nextCursor.toString('latin1');
    state.scanned += keys.length;
    const byOwner = new Map<string, Buffer[]>();
    const placed = await mover.placedBy(from, keys);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const by = placed[i] ?? key;
      const owner = next.members[ownerOfKey(next, by, 0, by.length, options.hashTags)].id;
      if (owner === from.id) continue;
      if (previous.members[ownerOfKey(previous, by, 0, by.length, options.hashTags)].id !== from.id) {
        state.leftInPlace++;
        continue;
      }
      const group = byOwner.get(owner);
      if (group === undefined) byOwner.set(owner, [key]);
      else group.push(key);
    }
    const moves = [...byOwner].map(([owner, group]) => mover.move(group, from, nodes.get(owner)!));
    for (const counts of await Promise.all(moves)) addCounts(state, counts);
    state.done = cursor === '0';
    progress(state);
    await pace(state.moved + state.keptNewer, started, options.keysPerSecond);
  } while (!state.done);
  return state;
}

/** Waits until `handled` keys fit the rate since `started`. */
async function pace(handled: number, started: number, keysPerSecond: number): Promise<void> {
  if (keysPerSecond <= 0) return;
  const due = started + (handled / keysPerSecond) * 1000;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
