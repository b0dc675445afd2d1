// What a span says about a command: its operation name (`GET`, `CONFIG GET`) and, only when the
// configuration allows keys in spans, a query text with the keys and every other argument
// replaced by `?`, so values never reach a span.
import { keyPositions, lookupCommand, type CommandSpec } from '../protocol/commands.js';
import { decodeReply } from '../protocol/decode.js';
import type { RequestView } from '../routing/request.js';

/** Name of a command jupiter does not know, so that garbage input cannot multiply span names. */
export const UNKNOWN_OPERATION = 'UNKNOWN';
/** Arguments shown in a query text before the rest are only counted. */
const MAX_ARGUMENTS = 64;

function specOf(name: string, sub: string | undefined): CommandSpec | undefined {
  const spec = lookupCommand(name);
  if (spec === undefined || spec.subcommands === null || sub === undefined) return spec;
  return spec.subcommands.get(sub.toLowerCase()) ?? spec;
}

const operationOf = (spec: CommandSpec | undefined): string => (spec === undefined ? UNKNOWN_OPERATION : spec.name.replace('|', ' ').toUpperCase());

export function operationName(req: RequestView): string {
  return operationOf(specOf(req.argString(0), req.argc > 1 ? req.argString(1) : undefined));
}

/** `MSET k1 ? k2 ?`: command (and subcommand) and keys as sent, anything else as `?`. */
export function queryText(args: readonly string[]): string {
  const spec = specOf(args[0], args[1]);
  if (spec === undefined) return UNKNOWN_OPERATION;
  const named = spec.name.includes('|') ? 2 : 1;
  const keys = new Set(spec.keyed ? keyPositions(spec.name, args) : []);
  const shown = Math.min(args.length, MAX_ARGUMENTS);
  const words: string[] = [];
  for (let i = 0; i < shown; i++) words.push(i < named ? args[i].toUpperCase() : keys.has(i) ? args[i] : '?');
  if (shown < args.length) words.push(`[${args.length - shown} other arguments]`);
  return words.join(' ');
}

/** A request's arguments as text, without the trailing routing options (hash=, traceparent=...). */
export function requestArgs(req: RequestView, optionPrefixes: readonly string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < req.argc; i++) args.push(req.argBuffer(i).toString('utf8'));
  while (args.length > 1 && optionPrefixes.some((p) => args[args.length - 1].startsWith(p))) args.pop();
  return args;
}

/** The arguments of a request jupiter encoded for a node (a part of a split command). */
export function encodedArgs(bytes: Uint8Array): string[] {
  const reply = decodeReply(bytes);
  if (reply.kind !== 'array' || reply.items === null) return [];
  return reply.items.map((item) => (item.kind === 'bulk' && item.value !== null ? item.value.toString('utf8') : ''));
}
