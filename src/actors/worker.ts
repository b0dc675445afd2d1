// Entry of a worker thread that hosts actors placed there by WorkerHost (see placement.ts).
import { parentPort } from 'node:worker_threads';
import { match } from 'ts-pattern';
import { ActorRuntime } from './runtime.js';
import { BatchingLink, deliver, type FromWorker, type ToWorker } from './placement.js';
import { nodeBehavior } from './node.js';
import type { InstalledSdk } from '../telemetry/sdk.js';

const port = parentPort!;
const runtime = new ActorRuntime({
  firstAddress: -1, // addresses here are handed out by the main thread only
  fallback: new BatchingLink((batch) => port.postMessage({ op: 'tell', batch } satisfies FromWorker)),
});

// Loaded only when the main thread traces with its own SDK, so an untraced worker never loads it.
let sdk: Promise<InstalledSdk | null> = Promise.resolve(null);

port.on('message', (m: ToWorker) =>
  match(m)
    .with({ op: 'spawn', kind: 'node' }, (s) => void runtime.spawn(nodeBehavior(s.options), s.address))
    .with({ op: 'stop' }, (s) => runtime.stop(s.address))
    .with({ op: 'tell' }, (t) => deliver(runtime, t.batch))
    .with({ op: 'installTracing' }, (t) => {
      const installed = (): void => port.postMessage({ op: 'tracingInstalled' } satisfies FromWorker);
      sdk = import('../telemetry/sdk.js').then((m) => m.installSdk(t.settings));
      sdk.then(installed, installed);
    })
    .with({ op: 'flushTracing' }, () => {
      const flushed = (): void => port.postMessage({ op: 'tracingFlushed' } satisfies FromWorker);
      sdk.then((s) => s?.shutdown()).then(flushed, flushed);
    })
    .exhaustive(),
);
