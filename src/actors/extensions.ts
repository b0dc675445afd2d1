// What an embedding application adds to a running proxy, with actors of its own spawned on the
// proxy's runtime (Proxy.runtime): taps, told once per client turn which node each routed
// request went to, and JUPITER subcommands answered by its actors. With no tap the hot path pays
// one length check per request; a JUPITER subcommand of an application never reaches a node.
import type { Address } from './runtime.js';
import { array, bulk, integer, nil } from '../protocol/encode.js';
import { keyPositions, lookupCommand } from '../protocol/commands.js';
import type { RequestView } from '../routing/request.js';

/** One request as a tap sees it: its command (lower case), first key if it has one, and where it went. */
export interface TappedRequest {
  readonly command: string;
  readonly key?: string;
  /** Ids of the members it was sent to (several for a split MGET); none when jupiter answered it. */
  readonly nodes: readonly string[];
}

/** What a tap actor receives: one connection's requests of one turn. */
export interface Tapped {
  readonly type: 'Tapped';
  readonly requests: readonly TappedRequest[];
}

/** What an application's actor receives for `JUPITER <NAME> [args]`; it tells `replyTo` an AdminAnswer. */
export interface AdminCommand {
  readonly type: 'AdminCommand';
  /** The subcommand, in upper case. */
  readonly name: string;
  readonly args: readonly string[];
  readonly replyTo: Address;
}

/** A reply: text (a bulk string), a number, null, a list of answers, or an error reply. */
export type AdminAnswer = string | number | null | { readonly error: string } | readonly AdminAnswer[];

/** How long a client waits for an application's actor to answer its subcommand. */
export const ADMIN_ANSWER_MS = 5000;

export class Extensions {
  /** Tap actors; read by every connection on each turn. */
  readonly taps: Address[] = [];
  /** Application subcommands of JUPITER, lower case, with the actor answering each. */
  readonly commands = new Map<string, Address>();

  addTap(actor: Address): () => void {
    this.taps.push(actor);
    return () => {
      const at = this.taps.indexOf(actor);
      if (at >= 0) this.taps.splice(at, 1);
    };
  }

  addCommand(name: string, actor: Address, builtIn: (lower: string) => boolean): () => void {
    const lower = name.toLowerCase();
    if (!/^[a-z][a-z0-9._-]*$/.test(lower)) throw new Error(`'${name}' is not a subcommand name (letters, digits, ".", "_", "-")`);
    if (builtIn(lower) || this.commands.has(lower)) throw new Error(`JUPITER ${name.toUpperCase()} exists already`);
    this.commands.set(lower, actor);
    return () => {
      if (this.commands.get(lower) === actor) this.commands.delete(lower);
    };
  }
}

/** The RESP bytes of an answer, in the client's protocol. */
export function encodeAnswer(answer: AdminAnswer, resp3: boolean): Buffer {
  if (answer === null) return nil(resp3);
  if (typeof answer === 'string') return bulk(answer);
  if (typeof answer === 'number') return Number.isInteger(answer) ? integer(answer) : bulk(String(answer));
  if (Array.isArray(answer)) return array(answer.map((a: AdminAnswer) => encodeAnswer(a, resp3)));
  const { error } = answer as { error: string };
  return Buffer.from(`-${/^[A-Z]+ /.test(error) ? '' : 'ERR '}${error.replace(/[\r\n]/g, ' ')}\r\n`, 'latin1');
}

/** A request as taps see it, given the members it went to. */
export function tappedRequest(req: RequestView, nodes: string[]): TappedRequest {
  const command = req.argString(0).toLowerCase();
  const spec = lookupCommand(command);
  const at = spec === undefined || !spec.keyed ? undefined : spec.singleKey ? 1 : keyPositions(spec.name, req.argStrings())[0];
  return at === undefined || at >= req.argc ? { command, nodes } : { command, key: req.argString(at), nodes };
}
