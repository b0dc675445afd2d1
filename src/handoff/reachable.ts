// Whether a node can be asked now, as its control-plane client sees it. ioredis queues a command
// sent while the connection is lost and fails it only after the next reconnect attempt, seconds
// later; the record's copies and heartbeats, the choice of arbiter and the moves skip a node whose
// connection is known to be lost instead of waiting on it.
import type { Redis } from 'ioredis';

const LOST = new Set(['close', 'reconnecting', 'end']);

/** True while the client's connection is lost (not while it is first connecting). */
export const isDown = (client: Redis): boolean => LOST.has(client.status);
