// A request told to an actor that is gone (a NodeActor or pair that stopped) would never be
// answered, and a client's replies go out in order, so one lost reply stalls it for good: such a
// request is answered with an error instead. Other dead letters (to a closed client) are dropped.
import { internalError } from '../protocol/errors.js';
import { answerAll, type Batch } from './batch.js';
import type { Address, Runtime } from './runtime.js';

export function answerDeadRoute(_to: Address, msg: unknown, runtime: Runtime): void {
  const route = msg as { type?: string; replyTo?: Address; batch?: Batch };
  if (route.type !== 'Route' || route.replyTo === undefined || route.batch === undefined) return;
  runtime.tell(route.replyTo, { type: 'Replied', batch: answerAll(route.batch, internalError) });
}
