// Sessions: what a client does on a backend connection of its own, leased to it by one node.
// A transaction (MULTI ... EXEC), the keys it WATCHes, and a blocking command each need the one
// connection Redis ties that state to; everyone else keeps sharing the pipelined link.
//
// A transaction is pinned to one node by `MULTI hash=KEY` or by its first keyed command (so MULTI
// itself costs nothing: commands before the pin are queued here and sent after MULTI once the
// node is known). A command for another node inside it is refused with CROSSSLOT and makes EXEC
// answer EXECABORT, as a queued command's error does in Redis; no queued command ever runs
// outside the transaction. At EXEC every key it touched must still live on its node (a
// membership change may have moved them), or it is discarded.
import type { CommandSpec } from '../protocol/commands.js';
import { keyPositions } from '../protocol/commands.js';
import { encodeCommand, EMPTY_ARRAY, OK } from '../protocol/encode.js';
import {
  crossSlot,
  discardWithoutMulti,
  execAbort,
  execWithoutMulti,
  keysMoved,
  keyMoving,
  multiNested,
  needsHashKey,
  watchInMulti,
} from '../protocol/errors.js';
import type { Dispatch } from './dispatch.js';
import { ownerOfKey } from './hashkey.js';
import { typedName, type RequestView } from './request.js';

/** One client's session: its transaction and watched keys. */
export class Session {
  /** MULTI was called: commands are queued until EXEC or DISCARD. */
  inMulti = false;
  /** WATCH was sent and not yet cleared (EXEC, DISCARD, UNWATCH, RESET). */
  watching = false;
  /** The member the session is pinned to, or null before its first keyed command. */
  node: string | null = null;
  /** MULTI has been sent to the node. */
  private multiSent = false;
  /** A queued command was refused, or the leased connection was lost: EXEC answers EXECABORT. */
  private aborted = false;
  /** Commands queued in MULTI before the session had a node: sent after MULTI once it has one. */
  private readonly unsent: Uint8Array[] = [];
  /** The hash key of every keyed command of the session, checked against the ring at EXEC. */
  private readonly keys: Buffer[] = [];

  /** Whether the client has a transaction or watched keys open. */
  get active(): boolean {
    return this.inMulti || this.watching;
  }

  /** The leased connection failed: the transaction and watches riding on it are gone. */
  lost(): void {
    if (this.active) this.aborted = true;
    this.multiSent = false;
    this.unsent.length = 0;
  }

  /** Forgets everything (EXEC, DISCARD, RESET). */
  clear(): void {
    this.inMulti = false;
    this.watching = false;
    this.node = null;
    this.multiSent = false;
    this.aborted = false;
    this.unsent.length = 0;
    this.keys.length = 0;
  }

  multi(hashKey: Buffer | null, d: Dispatch): void {
    if (this.inMulti) return d.reply(multiNested);
    this.inMulti = true;
    d.reply(OK);
    if (hashKey === null) return;
    const node = this.owner(hashKey, d);
    // A hash key whose node is moving, or not the watched keys' node: EXEC will abort.
    if (node === MOVING || (this.node !== null && node !== this.node)) this.aborted = true;
    else this.node = node;
    this.keys.push(hashKey);
  }

  exec(d: Dispatch): void {
    if (!this.inMulti) return d.reply(execWithoutMulti);
    if (this.aborted) return this.discardWith(execAbort, d);
    if (this.node === null) {
      if (this.unsent.length === 0) {
        this.clear();
        return d.reply(EMPTY_ARRAY);
      }
      // Only keyless commands (PING, TIME...): any node runs them alike.
      this.node = d.ring.members[Math.floor(Math.random() * d.ring.members.length)].id;
    }
    if (!this.stillHome(d)) return this.discardWith(keysMoved, d);
    this.sendPending(d);
    d.lease(this.node, EXEC);
    this.clear();
    d.endLease(true);
  }

  discard(d: Dispatch): void {
    if (!this.inMulti) return d.reply(discardWithoutMulti);
    if (this.multiSent) {
      d.lease(this.node!, DISCARD);
      this.clear();
      return d.endLease(true);
    }
    this.discardWith(OK, d);
  }

  watch(req: RequestView, spec: CommandSpec, hashKey: Buffer | null, d: Dispatch): void {
    if (this.inMulti) return d.reply(watchInMulti);
    const node = this.nodeOf(req, spec, hashKey, d);
    if (node === null) return;
    if (this.node !== null && node !== this.node) return d.reply(crossSlot);
    this.node = node;
    this.watching = true;
    d.lease(node, req.raw);
  }

  unwatch(req: RequestView, spec: CommandSpec, d: Dispatch): void {
    if (this.inMulti) return this.queue(req, spec, null, d);
    if (!this.watching) return d.reply(OK);
    const node = this.node!;
    this.clear();
    d.lease(node, req.raw);
    d.endLease(true);
  }

  /**
   * A command inside MULTI: sent to the session's node (pinning it on the first keyed one) and
   * answered +QUEUED by Redis; one for another node is refused and aborts the transaction.
   * `keyless`: it has no key and no hash= (PING, TIME...), so it fits any node.
   */
  queue(req: RequestView, spec: CommandSpec, hashKey: Buffer | null, d: Dispatch): void {
    // Once it will abort, the rest is only acknowledged, as Redis does: nothing is sent.
    if (this.aborted) return d.reply(QUEUED);
    if (hashKey === null && !spec.keyed) {
      if (this.node === null) {
        this.unsent.push(req.raw);
        return d.reply(QUEUED);
      }
      this.sendPending(d);
      return d.lease(this.node, req.raw);
    }
    const node = this.nodeOf(req, spec, hashKey, d);
    if (node === null || (this.node !== null && node !== this.node)) {
      if (node !== null) d.reply(crossSlot);
      this.aborted = true;
      return;
    }
    this.node = node;
    this.sendPending(d);
    d.lease(node, req.raw);
  }

  /** A command refused inside MULTI by jupiter itself: the error, and EXEC will abort. */
  refuse(error: Uint8Array, d: Dispatch): void {
    this.aborted = true;
    d.reply(error);
  }

  /**
   * A blocking command (BLPOP, XREAD BLOCK, WAIT...) outside MULTI: over a leased connection to
   * its keys' node, where it may block for `waitMs` (Infinity: until it is served).
   */
  block(req: RequestView, spec: CommandSpec, hashKey: Buffer | null, waitMs: number, d: Dispatch): void {
    const node = spec.keyed || hashKey !== null ? this.nodeOf(req, spec, hashKey, d, this.watching) : (this.node ?? undefined);
    if (node === undefined) return d.reply(needsHashKey(typedName(req, spec.name.includes('|'))));
    if (node === null) return;
    if (this.watching && node !== this.node) return d.reply(crossSlot);
    d.lease(node, req.raw, { waitMs });
    // Watched keys stay on the connection; a lone blocking command gives it back once answered.
    if (!this.watching) d.endLease(true);
  }

  /** Sends MULTI and the commands queued before the node was known; their replies are not the client's. */
  private sendPending(d: Dispatch): void {
    if (this.multiSent) return;
    this.multiSent = true;
    d.lease(this.node!, MULTI, { silent: true });
    for (const bytes of this.unsent) d.lease(this.node!, bytes, { silent: true });
    this.unsent.length = 0;
  }

  /** Ends the transaction without running it, answering `reply`; the node forgets it and its watched keys. */
  private discardWith(reply: Uint8Array, d: Dispatch): void {
    const { node, multiSent, watching } = this;
    this.clear();
    d.reply(reply);
    if (node === null) return;
    if (multiSent) d.lease(node, DISCARD, { silent: true });
    else if (watching) d.lease(node, UNWATCH, { silent: true });
    d.endLease(true);
  }

  /**
   * The member every key of the request lives on (by hash= when given), its keys joining the
   * session's when `remember`; null after replying with an error (keys on several nodes, a key
   * moving, no key at all).
   */
  private nodeOf(req: RequestView, spec: CommandSpec, hashKey: Buffer | null, d: Dispatch, remember = true): string | null {
    const keys = hashKey !== null ? [hashKey] : (spec.singleKey ? [1] : keyPositions(spec.name, req.argStrings())).map((i) => Buffer.from(req.argBuffer(i)));
    if (keys.length === 0) {
      d.reply(needsHashKey(typedName(req, spec.name.includes('|'))));
      return null;
    }
    let node: string | null = null;
    for (const key of keys) {
      const owner = this.owner(key, d);
      if (owner === MOVING) {
        d.reply(keyMoving);
        return null;
      }
      if (node !== null && owner !== node) {
        d.reply(crossSlot);
        return null;
      }
      node = owner;
    }
    if (remember) this.keys.push(...keys);
    return node;
  }

  /** The member owning a key in the ring the client routes by, or MOVING while a handoff moves it. */
  private owner(key: Buffer, d: Dispatch): string {
    const index = ownerOfKey(d.ring, key, 0, key.length, d.hashTags);
    return index >= d.ring.members.length ? MOVING : d.ring.members[index].id;
  }

  /** Every key of the transaction still lives on its node in the ring the client routes by now. */
  private stillHome(d: Dispatch): boolean {
    for (const key of this.keys) {
      const index = ownerOfKey(d.ring, key, 0, key.length, d.hashTags);
      if (index >= d.ring.members.length || d.ring.members[index].id !== this.node) return false;
    }
    return true;
  }
}

/** How long a blocking command may block, in ms, from its own arguments (Infinity for 0: forever). */
export function blockingWaitMs(spec: CommandSpec, req: RequestView): number {
  const top = spec.name.split('|')[0];
  const seconds = (i: number): number => {
    const n = Number(req.argString(i));
    return Number.isFinite(n) && n > 0 ? n * 1000 : n === 0 ? Infinity : 0;
  };
  const millis = (i: number): number => {
    const n = Number(req.argString(i));
    return Number.isFinite(n) && n > 0 ? n : n === 0 ? Infinity : 0;
  };
  switch (top) {
    case 'blmpop':
    case 'bzmpop':
      return seconds(1);
    case 'wait':
      return millis(2);
    case 'waitaof':
      return millis(3);
    case 'xread':
    case 'xreadgroup':
      for (let i = 1; i < req.argc - 1; i++) if (req.argString(i).toLowerCase() === 'block') return millis(i + 1);
      return 0;
    default:
      // BLPOP, BRPOP, BZPOPMIN, BZPOPMAX, BRPOPLPUSH, BLMOVE: the timeout comes last.
      return seconds(req.argc - 1);
  }
}

const MULTI = encodeCommand(['MULTI']);
const EXEC = encodeCommand(['EXEC']);
const DISCARD = encodeCommand(['DISCARD']);
const UNWATCH = encodeCommand(['UNWATCH']);
const QUEUED = Buffer.from('+QUEUED\r\n');
// No member id has a NUL in it.
const MOVING = '\0moving';
