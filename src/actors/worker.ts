// Entry of a worker thread that hosts actors placed there by WorkerHost (see placement.ts).
import { parentPort } from 'node:worker_threads';
import { match } from 'ts-pattern';
import { ActorRuntime } from './runtime.js';
import { BatchingLink, deliver, type FromWorker, type ToWorker } from './placement.js';
import { nodeBehavior } from './node.js';

const port = parentPort!;
const runtime = new ActorRuntime({
  firstAddress: -1, // addresses here are handed out by the main thread only
  fallback: new BatchingLink((batch) => port.postMessage({ op: 'tell', batch } satisfies FromWorker)),
});

port.on('message', (m: ToWorker) =>
  match(m)
    .with({ op: 'spawn', kind: 'node' }, (s) => void runtime.spawn(nodeBehavior(s.options), s.address))
    .with({ op: 'stop' }, (s) => runtime.stop(s.address))
    .with({ op: 'tell' }, (t) => deliver(runtime, t.batch))
    .exhaustive(),
);
