// Moves of one key are serialized: a client's pre-move and the migrator's batch that hold the
// same key take turns. Keys are latin1 strings of their bytes, so any binary key has one name.

export class KeyLocks {
  /** The last holder of each key, which the next one waits for. */
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Keys currently held or waited for. */
  get size(): number {
    return this.tails.size;
  }

  /** Runs `work` once every earlier holder of any of `keys` is done; holds them until it is. */
  run<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const before: Promise<unknown>[] = [];
    for (const key of keys) {
      const tail = this.tails.get(key);
      if (tail !== undefined) before.push(tail);
    }
    const result = (before.length === 0 ? work() : Promise.allSettled(before).then(work));
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    for (const key of keys) this.tails.set(key, settled);
    void settled.then(() => {
      for (const key of keys) if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return result;
  }
}
