// A NodeActor's reply latency, from a request's queueing to its reply's arrival, as a histogram of
// counts per bucket. It costs a subtraction and a bucket search per reply, with the clock read
// once per received chunk (ms resolution, the clock the timeouts already use); a scrape reads it.

/** Upper bounds of the buckets, in ms (a last bucket holds the rest). */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

export interface LatencySnapshot {
  /** Replies per bucket (not cumulative), one more than the bounds. */
  readonly counts: readonly number[];
  readonly sumMs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(LATENCY_BOUNDS_MS.length + 1);
  private sumMs = 0;

  observe(ms: number): void {
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]) i++;
    this.counts[i]++;
    this.sumMs += ms;
  }

  snapshot(): LatencySnapshot {
    return { counts: Array.from(this.counts), sumMs: this.sumMs };
  }
}
