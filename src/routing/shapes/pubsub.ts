// Pub/Sub: a client's subscriptions are kept by jupiter (the PubSubActor fans the nodes' messages
// out), so SUBSCRIBE and its kin are answered here; PUBLISH and SPUBLISH are routed by channel
// name like a key, to the node where the channel's subscribers are.
import type { PubSubKind, Shape } from '../dispatch.js';
import type { RequestView } from '../request.js';

const names = (req: RequestView): string[] => {
  const out: string[] = [];
  for (let i = 1; i < req.argc; i++) out.push(req.argString(i));
  return out;
};

const listen = (kind: PubSubKind): Shape => ({
  connectionLocal: true,
  subscribedMode: true,
  dispatch: (req, _spec, d) => d.listen(kind, names(req)),
});

const unlisten = (kind: PubSubKind): Shape => ({
  connectionLocal: true,
  subscribedMode: true,
  dispatch: (req, _spec, d) => d.unlisten(kind, names(req)),
});

export const subscribe = listen('channel');
export const psubscribe = listen('pattern');
export const ssubscribe = listen('shard');
export const unsubscribe = unlisten('channel');
export const punsubscribe = unlisten('pattern');
export const sunsubscribe = unlisten('shard');
