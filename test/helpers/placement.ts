// Where keys really live: asks every node directly, so tests check placement by observation
// rather than by recomputing the ring. Plus a bound for calls that must never hang.
import type { Redis } from 'ioredis';

/** For each key, the indexes of the nodes (direct clients, in order) that hold it. */
export async function locate(directs: readonly Redis[], keys: readonly string[]): Promise<number[][]> {
  const perNode = await Promise.all(
    directs.map(async (r) => {
      const pipeline = r.pipeline();
      for (const k of keys) pipeline.exists(k);
      const results = (await pipeline.exec())!;
      return results.map(([err, n]) => {
        if (err) throw err;
        return n === 1;
      });
    }),
  );
  return keys.map((_, k) => perNode.flatMap((has, node) => (has[k] ? [node] : [])));
}

/** The one node holding each key; throws if a key is on no node or on several. */
export async function ownersOf(directs: readonly Redis[], keys: readonly string[]): Promise<number[]> {
  const where = await locate(directs, keys);
  return where.map((nodes, i) => {
    if (nodes.length !== 1) throw new Error(`key ${keys[i]} is on nodes [${nodes.join(',')}], expected exactly one`);
    return nodes[0];
  });
}

export class TimedOut extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not settle within ${ms} ms`);
    this.name = 'TimedOut';
  }
}

/** The promise's outcome, or a TimedOut rejection if it takes longer than ms. */
export function within<T>(promise: Promise<T>, ms: number, what = 'call'): Promise<T> {
  let timer: NodeJS.Timeout;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(what, ms)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** The rejection of a promise that must fail (bounded); fails the test if it resolves or hangs. */
export async function rejectionOf(promise: Promise<unknown>, ms: number, what = 'call'): Promise<Error> {
  const outcome = await within(
    promise.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    ms,
    what,
  );
  if (outcome.ok) throw new Error(`${what} resolved with ${JSON.stringify(outcome.value)} instead of failing`);
  return outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
