// The commands of a session (routing/session.ts): transactions, watched keys and blocking
// commands, each run on the connection a node leases to the client.
import type { Shape } from '../dispatch.js';
import { blockingWaitMs } from '../session.js';

type Run = (...args: Parameters<NonNullable<Shape['session']>>) => void;

const sessionShape = (run: Run, transactionControl = true): Shape => ({
  transactionControl,
  session: (req, spec, hashKey, d) => {
    run(req, spec, hashKey, d);
    return true;
  },
  dispatch: (req, spec, d) => run(req, spec, null, d),
});

export const multi = sessionShape((_req, _spec, hashKey, d) => d.client.session.multi(hashKey, d));
export const exec = sessionShape((_req, _spec, _hashKey, d) => d.client.session.exec(d));
export const discard = sessionShape((_req, _spec, _hashKey, d) => d.client.session.discard(d));
export const watch = sessionShape((req, spec, hashKey, d) => d.client.session.watch(req, spec, hashKey, d));
export const unwatch = sessionShape((req, spec, _hashKey, d) => d.client.session.unwatch(req, spec, d));

/** BLPOP, BZPOPMIN, XREAD BLOCK, WAIT...: on a leased connection, allowed to block as long as they ask. */
export const blocking = sessionShape((req, spec, hashKey, d) => d.client.session.block(req, spec, hashKey, blockingWaitMs(spec, req), d), false);
