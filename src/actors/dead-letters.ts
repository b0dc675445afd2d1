// A request an actor will never run (the actor crashed holding it, or is gone and the request is a
// dead letter) is answered with an error: a client's replies go out in order, so one lost reply
// stalls it for good. Other dead letters (replies to a closed client) are dropped.
import { internalError } from '../protocol/errors.js';
import { answerAll, type Batch } from './batch.js';
import type { Address, Runtime } from './runtime.js';

/** Answers `msg` with an error, when it is a Route; anything else is left alone. */
export function refuseRoute(msg: unknown, teller: Pick<Runtime, 'tell'>): void {
  const route = msg as { type?: string; replyTo?: Address; batch?: Batch };
  if (route.type !== 'Route' || route.replyTo === undefined || route.batch === undefined) return;
  teller.tell(route.replyTo, { type: 'Replied', batch: answerAll(route.batch, internalError) });
}

/** The runtime's onDeadLetter: a request told to an actor that has stopped gets its error. */
export const answerDeadRoute = (_to: Address, msg: unknown, runtime: Runtime): void => refuseRoute(msg, runtime);
