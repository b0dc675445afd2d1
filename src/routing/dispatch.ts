// The contract between request shapes and the connection that runs them. A shape decides which
// nodes a request goes to and how their replies become one; the connection does the sending,
// keeps the reply's place in order, and owns the client's state.
import type { Ring } from '../ring/ring.js';
import type { CommandSpec } from '../protocol/commands.js';
import type { RequestView } from './request.js';
import type { MembershipChange } from '../handoff/change.js';
import type { Session } from './session.js';
import type { Address } from '../actors/runtime.js';
import type { Extensions } from '../actors/extensions.js';
import type { Access, User } from '../security/access.js';

/** Channels (SUBSCRIBE), patterns (PSUBSCRIBE) and shard channels (SSUBSCRIBE). */
export type PubSubKind = 'channel' | 'pattern' | 'shard';

export interface Part {
  readonly node: number;
  readonly bytes: Uint8Array;
  /** A command known to be slow: sent over the node's side link, off the shared pipeline. */
  readonly slow?: boolean;
  /** What it answers instead of an error when the node is down (eject.onDown miss; routing/miss.ts). */
  readonly miss?: Uint8Array;
}

export type Merge = (replies: readonly Uint8Array[]) => Uint8Array;

export interface ClientState {
  readonly id: number;
  name: string | null;
  /** Passed JUPITER AUTH (or no admin password is set). */
  admin: boolean;
  /** The user it authenticated as (AUTH, HELLO ... AUTH), or null before it did. */
  readonly user: User | null;
  /** May run commands: authenticated, or no password is required. */
  readonly authenticated: boolean;
  /** Its requests are checked against a deny-list, a user's command lists, or the need to AUTH. */
  readonly gated: boolean;
  /**
   * Authenticates it as the user: lifts the caps on unauthenticated input, grants admin if the
   * user has it. Null (RESET) puts it back as a new connection starts, admin rights dropped.
   */
  authenticate(user: User | null): void;
  /** Closes the connection once every reply before this point (and this one) is written. */
  closeAfterReply(): void;
  /** `CLIENT INFO`-style line describing this client. */
  describe(): string;
  /** Its address as CLIENT KILL ADDR names it (ip:port). */
  readonly addr: string;
  /** Closes the connection at once (CLIENT KILL). */
  kill(): void;
  /** The client's transaction and watched keys. */
  readonly session: Session;
  /** Channels, patterns and shard channels it is subscribed to: above 0 it is in subscribed mode. */
  readonly subscriptions: number;
  /** Unsubscribes from everything without a word (RESET). */
  forgetSubscriptions(): void;
  /** The client speaks RESP3 (after HELLO 3): replies jupiter builds take RESP3's forms. */
  readonly resp3: boolean;
}

export interface LeaseOptions {
  /** How long the request may block beyond the request timeout (ms; Infinity: as long as it likes). */
  readonly waitMs?: number;
  /** Its reply is not the client's (a MULTI jupiter sends for it, say): it is read and dropped. */
  readonly silent?: boolean;
}

/** A BLOB.* command, its arguments copied out of the request; the BlobActor answers. */
export type BlobRequest =
  | { readonly op: 'put'; readonly name: string; readonly data: Buffer; readonly ttlSeconds?: number }
  | { readonly op: 'get'; readonly name: string }
  | { readonly op: 'stat' | 'del'; readonly name: string }
  | { readonly op: 'getrange'; readonly name: string; readonly start: number; readonly end: number }
  | { readonly op: 'list'; readonly prefix: string };

/** What the admin commands may be asked; the MembershipActor answers. */
export type AdminQuery = { readonly op: 'nodes' } | { readonly op: 'status' } | { readonly op: 'change'; readonly change: MembershipChange };

export interface AdminPolicy {
  readonly enabled: boolean;
  readonly password?: string;
}

export interface ProxyFacts {
  readonly version: string;
  readonly admin: AdminPolicy;
  readonly startedAt: number;
  readonly port: number;
  /** The nodes' database holding jupiter's own data (membership record, loaded scripts). */
  readonly membershipDatabase: number;
  readonly limits: { readonly maxClients: number; readonly idleTimeoutSeconds: number };
  /** eject.onDown: what a read for a node that is down gets, an error or a miss. */
  readonly onDown: 'error' | 'miss';
  connectedClients(): number;
  /** The front door's users and deny-list (README "Security"). */
  readonly access: Access;
  /** Taps and JUPITER subcommands an embedding application added (README "Embedding"). */
  readonly extensions: Extensions;
  /** Every client connected to this proxy (this process), for CLIENT LIST and CLIENT KILL. */
  clients(): Iterable<ClientState>;
}

/** While members are ejected (they failed): the ring with them back in, and their ids. */
export interface Ejected {
  readonly ring: Ring;
  readonly ids: ReadonlySet<string>;
}

export interface Dispatch {
  readonly ring: Ring;
  /** Members out of the ring because they failed, or null (almost always). */
  readonly ejected: Ejected | null;
  readonly hashTags: boolean;
  readonly client: ClientState;
  readonly proxy: ProxyFacts;
  /** The command the next replies answer (its id), so their errors count for it. */
  command(id: number): void;
  /** Answers now with bytes jupiter built. */
  reply(bytes: Uint8Array): void;
  /**
   * Sends the bytes to one node (index into ring.members); its reply goes back untouched. `miss`:
   * what it answers instead of an error when the node is down (eject.onDown miss).
   */
  forward(node: number, bytes: Uint8Array, slow?: boolean, miss?: Uint8Array): void;
  /** Sends each part to its node and answers with merge() of their replies, in part order. */
  fragment(parts: readonly Part[], merge: Merge): void;
  /** Sends bytes of jupiter's own to a node, ahead of what follows there; the reply is dropped. */
  quietly(node: number, bytes: Uint8Array): void;
  /** Answers with what the MembershipActor says to an admin query. */
  askMembership(query: AdminQuery): void;
  /** Answers with what an application's actor says to its JUPITER subcommand (name in upper case). */
  askExtension(actor: Address, name: string, args: readonly string[]): void;
  /** Answers with what the BlobActor makes of a BLOB.* command. */
  askBlob(request: BlobRequest): void;
  /**
   * Sends the bytes to a member (by id) over the connection leased to this client, leasing one
   * from that member's node first if the client has none there; its reply goes back untouched.
   */
  lease(member: string, bytes: Uint8Array, options?: LeaseOptions): void;
  /** The client is done with its lease once what was sent on it is answered. */
  endLease(clean: boolean): void;
  /** Subscribes the client (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE); answered once the nodes confirm. */
  listen(kind: PubSubKind, names: readonly string[]): void;
  /** Unsubscribes it from names, or from every name of the kind when none are given; answered at once. */
  unlisten(kind: PubSubKind, names: readonly string[]): void;
  /** Replies from now on in RESP3 (HELLO 3) or RESP2 (HELLO 2, RESET): node replies come over links of that protocol. */
  useProtocol(resp3: boolean): void;
}

export interface Shape {
  /**
   * Connection-level commands stay local even with hash= (QUIT, SELECT, CLIENT, HELLO, AUTH, and
   * jupiter's own JUPITER and BLOB.*); a transaction on a node cannot queue them.
   */
  readonly connectionLocal?: boolean;
  /** Allowed while the client is subscribed (RESP2): (P|S)(UN)SUBSCRIBE, PING, QUIT, RESET. */
  readonly subscribedMode?: boolean;
  /** MULTI, EXEC, DISCARD, WATCH, UNWATCH: act on the transaction even inside MULTI. */
  readonly transactionControl?: boolean;
  /**
   * Commands that open, use or end a session (MULTI, EXEC, WATCH, a blocking command): run with
   * the hash key of a trailing hash=/index= option, or null, instead of dispatch. False: this
   * request is not one after all (XREAD without BLOCK), route it as usual.
   */
  readonly session?: (req: RequestView, spec: CommandSpec, hashKey: Buffer | null, d: Dispatch) => boolean;
  dispatch(req: RequestView, spec: CommandSpec, d: Dispatch): void;
}
