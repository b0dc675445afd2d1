// Requests jupiter answers with an error instead of guessing where they belong.
import { needsHashKey, notSupported } from '../../protocol/errors.js';
import type { Shape } from '../dispatch.js';
import { typedName } from '../request.js';

/** Keyless commands with no cluster-wide meaning (SAVE, SLOWLOG, SCRIPT...): name a node with hash=. */
export const needsHash: Shape = {
  dispatch(req, spec, d) {
    d.reply(needsHashKey(typedName(req, spec.name.includes('|'))));
  },
};

/**
 * Commands that need a backend connection of their own (transactions, blocking, subscriptions,
 * replication): on the shared pipeline they would stall or corrupt other clients' replies.
 */
export const needsOwnConnection: Shape = {
  connectionLocal: true,
  dispatch(req, spec, d) {
    d.reply(notSupported(typedName(req, spec.name.includes('|'))));
  },
};
