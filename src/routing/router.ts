// One request's routing, in order: strip trailing options (hash=, index=, traceparent=), find the
// command, check its arity, then either pin it to the node of an explicit hash key or let its
// shape decide. Every refusal is a Redis-style error reply.
import { arityOk, lookupCommandBytes, type CommandSpec } from '../protocol/commands.js';
import { unknownCommand, unknownSubcommand, wrongArity } from '../protocol/errors.js';
import { ownerOfKey, ownerOfKeyString } from './hashkey.js';
import { compileOptionTest, stripOptions, type OptionPrefixes } from './options.js';
import { shapeOf } from './shapes/index.js';
import { isSlow } from './slow.js';
import type { Dispatch } from './dispatch.js';
import type { RequestView } from './request.js';

export interface RouterConfig {
  readonly prefixes: OptionPrefixes;
}


export class Router {
  private readonly hasOptions: (req: RequestView) => boolean;

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
    const shape = shapeOf(spec);
    if (options !== undefined && !shape.connectionLocal) {
      if (options.hashKey !== undefined) {
        d.forward(ownerOfKeyString(d.ring, options.hashKey, d.hashTags), req.raw, isSlow(req, spec));
        return options.traceparent;
      }
      if (options.index !== undefined) {
        if (options.index < 1 || options.index >= req.argc) d.reply(wrongArity(spec.name));
        else d.forward(ownerOfKey(d.ring, req.raw, req.starts[options.index], req.ends[options.index], d.hashTags), req.raw, isSlow(req, spec));
        return options.traceparent;
      }
    }
    shape.dispatch(req, spec, d);
    return options?.traceparent;
  }

  /** The command (or subcommand) spec, or undefined after replying with Redis's error. */
  private resolve(req: RequestView, d: Dispatch): CommandSpec | undefined {
    const spec = lookupCommandBytes(req.raw, req.starts[0], req.ends[0]);
    if (spec === undefined) {
      const name = req.argString(0);
      const args: string[] = [];
      // Redis quotes arguments until the list reaches 128 characters; each takes at least 3.
      for (let i = 1; i < req.argc && i <= 43; i++) args.push(req.argString(i));
      d.reply(unknownCommand(name, args));
      return undefined;
    }
    if (!arityOk(spec, req.argc)) {
      d.reply(wrongArity(spec.name));
      return undefined;
    }
    if (spec.subcommands === null || req.argc === 1) return spec;
    const subName = req.argString(1);
    const sub = spec.subcommands.get(subName.toLowerCase());
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
