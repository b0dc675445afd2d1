// Span times as epoch milliseconds with sub-millisecond precision. The same reading on the main
// thread and in a worker (each adds its own time origin), so a time taken by a ConnectionActor can
// start a span that a NodeActor in a worker thread ends.
import { performance } from 'node:perf_hooks';

// Fixed for the life of the thread; the getter is slow enough to show in profiles.
const origin = performance.timeOrigin;

export const now = (): number => origin + performance.now();
