// One request's routing, in order: strip trailing options (hash=, index=, traceparent=), find the
// command, check its arity, then either pin it to the node of an explicit hash key or let its
// shape decide. Every refusal is a Redis-style error reply.
import { arityOk, keyPositions, lookupCommandBytes, type CommandSpec } from '../protocol/commands.js';
import { commandDisabled, noAuth, noPermission, notInTransaction, onlySubscribeCommands, unknownCommand, unknownSubcommand, wrongArity } from '../protocol/errors.js';
import { placementWrite } from '../handoff/placement-index.js';
import { hintWrite } from '../handoff/hints.js';
import { missOf } from './miss.js';
import { hashedPart, ownerOfKey } from './hashkey.js';
import { compileOptionTest, stripOptions, type OptionPrefixes, type RoutingOptions } from './options.js';
import { shapeOf } from './shapes/index.js';
import { isSlow } from './slow.js';
import { CommandCounts } from './counts.js';
import type { Dispatch, Shape } from './dispatch.js';
import { typedName, type RequestView } from './request.js';

export interface RouterConfig {
  readonly prefixes: OptionPrefixes;
  /** The membership database, where hash=/index= writes record their keys; unset: not recorded. */
  readonly placementDatabase?: number;
  /** Where writes of an ejected member's keys leave their hints, and how many are kept. */
  readonly hints?: { readonly database: number; readonly limit: number };
}

const requestReply = (replies: readonly Uint8Array[]): Uint8Array => replies[1];

export class Router {
  private readonly hasOptions: (req: RequestView) => boolean;
  /** Requests by command, and (counted by each client's reply queue) error replies. */
  readonly counts = new CommandCounts();

  constructor(private readonly config: RouterConfig) {
    this.hasOptions = compileOptionTest(config.prefixes);
  }

  /** Routes one request; returns the client's traceparent when the request carried one. */
  route(original: RequestView, d: Dispatch): string | undefined {
    let req = original;
    const options = this.hasOptions(req) ? stripOptions(req, this.config.prefixes) : undefined;
    if (options !== undefined) req = options.request;
    const spec = this.resolve(req, d);
    if (spec === undefined) return options?.traceparent;
    if (d.client.gated && !admitted(req, spec, d)) return options?.traceparent;
    const shape = shapeOf(spec);
    // Only a RESP2 client is held to the subscription commands: RESP3 tells messages apart by type.
    if (d.client.subscriptions > 0 && !d.client.resp3 && shape.subscribedMode !== true) {
      d.reply(onlySubscribeCommands(spec.name));
      return options?.traceparent;
    }
    // While a member is ejected, a write of one of its keys leaves a hint where the write lands, ahead of it.
    if (d.ejected !== null && spec.writes) this.hint(req, spec, options?.hashKey, d);
    const { session } = d.client;
    if (session.inMulti || shape.session !== undefined) {
      const hashKey = hashKeyOf(options, req, spec, d);
      if (hashKey === undefined) return options?.traceparent;
      if (session.inMulti) {
        inTransaction(shape, req, spec, hashKey, d);
        return options?.traceparent;
      }
      if (shape.session!(req, spec, hashKey, d)) return options?.traceparent;
    }
    if (options !== undefined && !shape.connectionLocal) {
      if (options.hashKey !== undefined) {
        this.pin(Buffer.from(options.hashKey, 'latin1'), req, spec, d);
        return options.traceparent;
      }
      if (options.index !== undefined) {
        if (options.index < 1 || options.index >= req.argc) d.reply(wrongArity(spec.name));
        else this.pin(req.argBuffer(options.index), req, spec, d);
        return options.traceparent;
      }
    }
    shape.dispatch(req, spec, d);
    return options?.traceparent;
  }

  /**
   * Sends a request to the node of an explicit hash key. A write that may create keys placed
   * apart from their names records them in the node's placement index first, in the same pipeline.
   */
  private pin(hashKey: Buffer, req: RequestView, spec: CommandSpec, d: Dispatch): void {
    const node = ownerOfKey(d.ring, hashKey, 0, hashKey.length, d.hashTags);
    const slow = isSlow(req, spec);
    const database = this.config.placementDatabase;
    const placed = database !== undefined && spec.grows ? keysPlacedApart(req, spec, hashKey, d.hashTags) : [];
    if (placed.length === 0) return d.forward(node, req.raw, slow, d.proxy.onDown === 'miss' ? missOf(spec, d.client.resp3, req.argc - 1) : undefined);
    d.fragment([{ node, bytes: placementWrite(database!, placed, hashKey) }, { node, bytes: req.raw, slow }], requestReply);
  }

  /** Hints each key the request writes whose owner, ejected members counted, is one of them. */
  private hint(req: RequestView, spec: CommandSpec, hashKey: string | undefined, d: Dispatch): void {
    const hints = this.config.hints;
    if (hints === undefined || !spec.keyed) return;
    const ejected = d.ejected!;
    const positions = spec.singleKey ? [1] : keyPositions(spec.name, req.argStrings());
    // Keys placed by hash= live where their hash key does.
    const by = hashKey === undefined ? null : Buffer.from(hashKey, 'latin1');
    const perMember = new Map<string, { node: number; keys: Buffer[] }>();
    for (const i of positions) {
      const key = req.argBuffer(i);
      const placed = by ?? key;
      const owner = ejected.ring.members[ownerOfKey(ejected.ring, placed, 0, placed.length, d.hashTags)].id;
      if (!ejected.ids.has(owner)) continue;
      const node = ownerOfKey(d.ring, placed, 0, placed.length, d.hashTags);
      const entry = perMember.get(`${owner}\n${node}`) ?? { node, keys: [] };
      entry.keys.push(Buffer.from(key));
      perMember.set(`${owner}\n${node}`, entry);
    }
    for (const [pair, { node, keys }] of perMember) d.quietly(node, hintWrite(hints.database, pair.split('\n')[0], hints.limit, keys));
  }

  private count(id: number, d: Dispatch): void {
    this.counts.calls[id]++;
    d.command(id);
  }

  /** The command (or subcommand) spec, or undefined after replying with Redis's error. */
  private resolve(req: RequestView, d: Dispatch): CommandSpec | undefined {
    const spec = lookupCommandBytes(req.raw, req.starts[0], req.ends[0]);
    if (spec === undefined) {
      this.count(0, d);
      const name = req.argString(0);
      const args: string[] = [];
      // Redis quotes arguments until the list reaches 128 characters; each takes at least 3.
      for (let i = 1; i < req.argc && i <= 43; i++) args.push(req.argString(i));
      d.reply(unknownCommand(name, args));
      return undefined;
    }
    if (!arityOk(spec, req.argc)) {
      this.count(spec.id, d);
      d.reply(wrongArity(spec.name));
      return undefined;
    }
    if (spec.subcommands === null || req.argc === 1) {
      this.count(spec.id, d);
      return spec;
    }
    const subName = req.argString(1);
    const sub = spec.subcommands.get(subName.toLowerCase());
    // A subcommand counts as itself (config|get), not as its command.
    this.count((sub ?? spec).id, d);
    // An application's own JUPITER subcommand: the admin shape hands it to the application's actor.
    if (sub === undefined && spec.name === 'jupiter' && d.proxy.extensions.commands.has(subName.toLowerCase())) return spec;
    if (sub === undefined) {
      d.reply(unknownSubcommand(subName, spec.name));
      return undefined;
    }
    if (!arityOk(sub, req.argc)) {
      d.reply(wrongArity(sub.name));
      return undefined;
    }
    return sub;
  }
}

/** Commands a client may send before it authenticates (HELLO checks its own AUTH option). */
const NO_AUTH = new Set(['auth', 'hello', 'quit', 'reset']);

/**
 * The front door, for a client with something to check: authenticated (else NOAUTH), the command
 * not on the deny-list, and allowed to its user. False after answering why not.
 */
function admitted(req: RequestView, spec: CommandSpec, d: Dispatch): boolean {
  const { client } = d;
  const top = spec.name.split('|')[0];
  if (!client.authenticated) {
    if (NO_AUTH.has(top)) return true;
    d.reply(noAuth);
    return false;
  }
  if (d.proxy.access.denied.has(spec.name)) {
    d.reply(commandDisabled(typedName(req, spec.name.includes('|'))));
    return false;
  }
  // As in Redis, a user's command lists do not hold it to its identity: AUTH, HELLO, QUIT and RESET stay open.
  if (client.user !== null && !NO_AUTH.has(top) && !client.user.allows(spec.name)) {
    d.reply(noPermission(spec.name));
    return false;
  }
  return true;
}

/** The hash key a hash= or index= option names, null without one, undefined after replying that index= is out of range. */
function hashKeyOf(options: RoutingOptions | undefined, req: RequestView, spec: CommandSpec, d: Dispatch): Buffer | null | undefined {
  if (options?.hashKey !== undefined) return Buffer.from(options.hashKey, 'latin1');
  if (options?.index === undefined) return null;
  if (options.index >= 1 && options.index < req.argc) return Buffer.from(req.argBuffer(options.index));
  d.reply(wrongArity(spec.name));
  return undefined;
}

/**
 * A command while the client is in MULTI: queued on the transaction's node; QUIT and RESET act
 * at once; commands on the client's connection to jupiter itself, and jupiter's own, are refused.
 */
function inTransaction(shape: Shape, req: RequestView, spec: CommandSpec, hashKey: Buffer | null, d: Dispatch): void {
  const { session } = d.client;
  if (shape.transactionControl === true) {
    shape.session!(req, spec, hashKey, d);
  } else if (spec.name === 'quit' || spec.name === 'reset') {
    shape.dispatch(req, spec, d);
  } else if (shape.connectionLocal) {
    session.refuse(notInTransaction(typedName(req, spec.name.includes('|'))), d);
  } else {
    session.queue(req, spec, hashKey, d);
  }
}

/** The request's keys that its name would hash elsewhere than `hashKey` on some ring. */
function keysPlacedApart(req: RequestView, spec: CommandSpec, hashKey: Buffer, hashTags: boolean): Buffer[] {
  if (!spec.keyed) return [];
  const positions = spec.singleKey ? [1] : keyPositions(spec.name, req.argStrings());
  const by = hashedPart(hashKey, hashTags);
  const apart: Buffer[] = [];
  for (const i of positions) {
    const key = req.argBuffer(i);
    if (!hashedPart(key, hashTags).equals(by)) apart.push(Buffer.from(key));
  }
  return apart;
}
