// Every message the actors exchange, in one place that reads as the protocol between them. Each
// actor's file handles its own union with an exhaustive switch (or ts-pattern's exhaustive match),
// so a message added here is a compile error until its receiver handles it. The hot-path payloads
// (batches of requests and replies) are defined in batch.ts; the messages that cross to a worker
// thread, in placement.ts.
import type { LatencySnapshot } from './latency.js';
import type { Ring } from '../ring/ring.js';
import type { Address } from './runtime.js';
import type { ReplyBatch, RequestBatch } from './batch.js';
import type { LinkName } from './link.js';
import type { AdminQuery, BlobRequest, Ejected, PubSubKind } from '../routing/dispatch.js';
import type { MembershipChange } from '../handoff/change.js';
import type { MembershipRecord } from '../handoff/record.js';
import type { SpanContext } from '@opentelemetry/api';

/** An immutable ring with the NodeActor of each of its members, as every connection routes by it. */
export interface RingSnapshot {
  /** During a handoff, the routing ring of Ring.transitionFrom(): owner indices past its members are pairs. */
  readonly ring: Ring;
  /** Members ejected for failing, whose keys' writes leave hints; null when none are. */
  readonly ejected: Ejected | null;
  /**
   * NodeActor address of ring.members[i]; during a handoff, followed by the PairActor of each
   * pair, so that nodes[ownerIndex(hash)] is where any request goes.
   */
  readonly nodes: readonly Address[];
}

// ConnectionActor: one per client socket.

/** A NodeActor's replies for this connection, gathered over one turn. */
export type Replied = { readonly type: 'Replied'; readonly batch: ReplyBatch };
/** The MembershipActor published a new ring: requests parsed from now on route by it. */
export type RingChanged = { readonly type: 'RingChanged'; readonly snapshot: RingSnapshot };

export type ConnectionMessage =
  /** Bytes read from the client's socket. */
  | { readonly type: 'Received'; readonly chunk: Buffer }
  | Replied
  | RingChanged
  /** The socket drained its write buffer. */
  | { readonly type: 'Writable' }
  /** The socket closed. */
  | { readonly type: 'Closed' }
  /** The proxy is stopping: answer what is in flight, take nothing new, then close. */
  | { readonly type: 'Shutdown' }
  /** A leased connection failed (its requests were answered with errors): whatever session rode it is over. */
  | { readonly type: 'LeaseLost'; readonly lease: number }
  /** A Pub/Sub message for this subscribed client, as its node pushed it. */
  | { readonly type: 'Pushed'; readonly bytes: Uint8Array }
  /**
   * A piece of a reply sent in pieces (BLOB.GET): `end` completes it; `aborted` cuts it short after
   * bytes went out (the connection is then closed, so the client never takes it for a whole reply).
   */
  | { readonly type: 'Streamed'; readonly slot: number; readonly bytes: Uint8Array; readonly end: boolean; readonly aborted?: boolean };

// NodeActor: one per Redis node.

/** What a NodeActor's backend sockets tell it, each tagged with the link generation it came from. */
export type LinkMessage =
  | { readonly type: 'Received'; readonly generation: number; readonly chunk: Buffer }
  | { readonly type: 'Connected'; readonly generation: number }
  | { readonly type: 'Disconnected'; readonly generation: number; readonly reason: string };

export type NodeMessage =
  /**
   * Requests for this node; `slow` ones (KEYS, FLUSHALL, SCRIPT LOAD...) go over the side link.
   * With `lease`, over the connection leased to `replyTo` under that number (opened on its first
   * request; a lease that was lost is never opened again under the same number), where each may
   * block `waitMs` beyond the request timeout (Infinity: for as long as it likes).
   */
  | {
      readonly type: 'Route';
      readonly replyTo: Address;
      readonly batch: RequestBatch;
      readonly slow?: boolean;
      readonly lease?: number;
      readonly waitMs?: number;
      /** The requests come from a RESP3 client: they go over the node's RESP3 links. */
      readonly resp3?: boolean;
    }
  /**
   * `replyTo` is done with its lease once the requests sent on it are answered. `clean`: the
   * connection holds no transaction, watch or blocked command, so it may serve another client;
   * otherwise it is closed.
   */
  | { readonly type: 'Release'; readonly replyTo: Address; readonly lease: number; readonly clean: boolean }
  | LinkMessage
  /** The outcome of a PING on a connection of its own, sent to tell a busy node from a dead one. */
  | { readonly type: 'Probed'; readonly probe: number; readonly answered: boolean }
  /** Time to judge timeouts. */
  | { readonly type: 'Tick' }
  /** A link's reconnect back-off is over. */
  | { readonly type: 'Reconnect'; readonly link: Exclude<LinkName, 'lease'> }
  /** Answered with the node's NodeStats (for metrics). */
  | { readonly type: 'GetStats'; readonly replyTo: Address }
  /** A (P|S)(UN)SUBSCRIBE for the node's subscriber connection, whose pushes go to the PubSubActor. */
  | { readonly type: 'Subscription'; readonly command: Uint8Array };

/** A NodeActor's counts since it started, and its queues now. */
export interface NodeStats {
  readonly node: string;
  /** Requests taken on the shared link, and on the side link. */
  readonly requests: number;
  readonly slowRequests: number;
  /** Requests answered with a timeout error. */
  readonly timeouts: number;
  /** Requests refused at once: the node was down, or its send buffer full. */
  readonly refusedUnavailable: number;
  readonly refusedBusy: number;
  /** Requests answered with an error because their link was lost or sent a bad reply. */
  readonly failed: number;
  /** Requests in flight now, and request bytes not yet sent. */
  readonly inflight: number;
  readonly queuedBytes: number;
  /** Connections leased to clients now, and kept open for the next lease. */
  readonly leases: number;
  readonly idleLeases: number;
  /** Replies by latency from queueing to arrival (LATENCY_BOUNDS_MS). */
  readonly latency: LatencySnapshot;
}

// PairActor: one per (old owner, new owner) of a running handoff.

export type PairMessage =
  /** Requests for keys that move between the pair's two nodes, as a NodeActor would get them. */
  | Extract<NodeMessage, { type: 'Route' }>
  /** Every proxy has acknowledged: move each request's keys, then send it to the new owner. */
  | { readonly type: 'Go' }
  /** The change was abandoned: send held and later requests to the old owner, as before. */
  | { readonly type: 'Abandon' };

// MembershipActor: one per proxy.

/** A NodeActor's shared link went up or down. */
/** `actor`: the NodeActor that reports, told apart from a retiring one of the same member (a readdressed node). */
export type NodeHealth = { readonly type: 'NodeHealth'; readonly node: string; readonly actor: Address; readonly up: boolean; readonly reason?: string };
/** A NodeActor has failed eject.failureLimit requests or connects in a row. */
export type NodeFailing = { readonly type: 'NodeFailing'; readonly node: string; readonly actor: Address };

export type MembershipMessage =
  /** A connection wants every new ring snapshot (it gets the current one at once). */
  | { readonly type: 'Subscribe'; readonly subscriber: Address }
  | { readonly type: 'Unsubscribe'; readonly subscriber: Address }
  | NodeHealth
  | NodeFailing
  /** Answered with a MembershipStatus. */
  | { readonly type: 'GetStatus'; readonly replyTo: Address }
  /** Answered with a RingInfo. */
  | { readonly type: 'GetRing'; readonly replyTo: Address }
  /** A client's JUPITER command: answered with a Replied batch filling `slot` of `replyTo`. */
  | { readonly type: 'Admin'; readonly query: AdminQuery; readonly replyTo: Address; readonly slot: number }
  /** The embedding API's change: answered with a ChangeOutcome once accepted or refused. */
  | { readonly type: 'Change'; readonly change: MembershipChange; readonly replyTo: Address }
  /** A record read from the nodes (polled, announced, or written by this proxy). */
  | { readonly type: 'RecordSeen'; readonly record: MembershipRecord }
  /** This proxy's barrier for a prepare is done: nothing it sent under the old ring is still in flight. */
  | { readonly type: 'Fenced'; readonly epoch: number }
  /** Time to heartbeat and poll the record. */
  | { readonly type: 'Tick' }
  /** Progress of this proxy's migrator. */
  | { readonly type: 'Progress'; readonly moved: number; readonly total: number }
  /** This proxy's migrator stopped driving (done, abandoned, or lost the record to another). */
  | { readonly type: 'Driven'; readonly error?: string }
  /** A NodeActor's grace after its node left the ring is over: it stops. */
  | { readonly type: 'Retired'; readonly actor: Address };

/** null: the change was accepted (the handoff runs on); else why it was refused. */
export type ChangeOutcome = { readonly refused: string | null };

// PubSubActor: one per proxy.

export type PubSubMessage =
  | RingChanged
  /** A client subscribes to names; `reply` (its confirmations) fills `slot` once the nodes confirm. */
  | {
      readonly type: 'Listen';
      readonly replyTo: Address;
      readonly slot: number;
      readonly kind: PubSubKind;
      readonly names: readonly string[];
      readonly reply: Uint8Array;
    }
  /** A client unsubscribes from names (null: every name of the kind); it answered itself. */
  | { readonly type: 'Unlisten'; readonly client: Address; readonly kind: PubSubKind; readonly names: readonly string[] | null }
  /** A client closed or was RESET: it listens to nothing any more. */
  | { readonly type: 'Gone'; readonly client: Address }
  /** What a node's subscriber connection pushed (messages, confirmations), frame by frame. */
  | { readonly type: 'Pushed'; readonly node: Address; readonly frames: readonly Uint8Array[] }
  /** A node's subscriber connection came back after it was lost: subscribe it again. */
  | { readonly type: 'SubscriberUp'; readonly node: Address }
  /** A confirmation that did not come in time counts as given. */
  | { readonly type: 'Confirmed'; readonly key: string };

// BlobActor: one per proxy.

export type BlobMessage =
  /**
   * A client's BLOB.* command: answered with a Replied batch filling `slot` of `replyTo`; BLOB.GET
   * and BLOB.GETRANGE with Streamed pieces, a window of chunks at a time.
   */
  | {
      readonly type: 'Blob';
      readonly request: BlobRequest;
      readonly replyTo: Address;
      readonly slot: number;
      /** The command's SERVER span, when it is sampled: the blob work's spans are its children. */
      readonly parent?: SpanContext;
      /** The client speaks RESP3 (a missing blob is its null). */
      readonly resp3?: boolean;
    }
  /** The client has written the pieces sent so far for `slot`: send the next window. */
  | { readonly type: 'More'; readonly replyTo: Address; readonly slot: number }
  /** The client is gone: streams for it stop. */
  | { readonly type: 'Gone'; readonly client: Address };

export interface NodeStatus {
  readonly id: string;
  readonly up: boolean;
  readonly reason?: string;
}

export interface MembershipStatus {
  readonly epoch: number;
  readonly state: MembershipRecord['state'];
  readonly nodes: readonly NodeStatus[];
  /** Members out of the ring now (eject), with when each left (Unix ms). */
  readonly ejected: readonly { readonly id: string; readonly since: number }[];
  /** Ejections this proxy has seen since it started. */
  readonly ejections: number;
  /** The running handoff's progress, or the last one's (as JUPITER STATUS shows it). */
  readonly handoff: { readonly keysMoved: number; readonly keysTotalEstimate: number };
}

/** One member of the ring as the embedding API shows it. */
export interface RingMember {
  /** Its id on the ring: its name, or its address. */
  readonly id: string;
  readonly address: string;
  readonly weight: number;
  /** Its share of the keys (of the hash space), 0 to 1. */
  readonly share: number;
  readonly up: boolean;
}

export interface RingInfo {
  readonly epoch: number;
  readonly state: MembershipRecord['state'];
  readonly members: readonly RingMember[];
}
