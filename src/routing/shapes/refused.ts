// Requests jupiter answers with an error instead of guessing where they belong.
import { needsHashKey, notSupported } from '../../protocol/errors.js';
import type { Shape } from '../dispatch.js';

/** Keyless commands with no cluster-wide meaning (SAVE, SLOWLOG, SCRIPT...): name a node with hash=. */
export const needsHash: Shape = {
  dispatch(_req, spec, d) {
    d.reply(needsHashKey(spec.name));
  },
};

/**
 * Commands that need a backend connection of their own (transactions, blocking, subscriptions,
 * replication): on the shared pipeline they would stall or corrupt other clients' replies.
 */
export const needsOwnConnection: Shape = {
  connectionLocal: true,
  dispatch(_req, spec, d) {
    d.reply(notSupported(spec.name));
  },
};
