// Trailing routing options a client may append to any command: hash=KEY (route by KEY),
// traceparent=00-... (continue the client's trace; taken only when it is a W3C traceparent
// exactly), and index=N (route by args[N]; off unless configured). They are stripped before the
// command is forwarded. The prefixes are configurable; empty disables one.
import type { RequestView } from './request.js';
import { EncodedRequest } from './request.js';

export interface OptionPrefixes {
  readonly hash: string;
  readonly index: string;
  readonly traceparent: string;
}

export const defaultPrefixes: OptionPrefixes = { hash: 'hash=', index: '', traceparent: 'traceparent=' };

/** A W3C traceparent, version 00: anything else after the prefix is a value, not an option. */
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export interface RoutingOptions {
  hashKey?: string;
  index?: number;
  traceparent?: string;
  /** The request without the options. */
  request: RequestView;
}

/** Cheap first-byte test so that requests without options pay almost nothing. */
export function compileOptionTest(prefixes: OptionPrefixes): (req: RequestView) => boolean {
  const firsts = new Set(
    [prefixes.hash, prefixes.index, prefixes.traceparent].filter((p) => p.length > 0).map((p) => p.charCodeAt(0)),
  );
  const shortest = Math.min(...[prefixes.hash, prefixes.index, prefixes.traceparent].filter((p) => p.length > 0).map((p) => p.length));
  return (req) => {
    if (req.argc < 2) return false;
    const last = req.argc - 1;
    return req.ends[last] - req.starts[last] >= shortest && firsts.has(req.raw[req.starts[last]]);
  };
}

/** Strips trailing options (each at most once, in any order); undefined when there are none. */
export function stripOptions(req: RequestView, prefixes: OptionPrefixes): RoutingOptions | undefined {
  const found: Omit<RoutingOptions, 'request'> = {};
  let argc = req.argc;
  while (argc > 1) {
    const last = req.argString(argc - 1);
    if (prefixes.hash && found.hashKey === undefined && last.startsWith(prefixes.hash)) {
      found.hashKey = last.slice(prefixes.hash.length);
    } else if (prefixes.traceparent && found.traceparent === undefined && last.startsWith(prefixes.traceparent) && TRACEPARENT.test(last.slice(prefixes.traceparent.length))) {
      found.traceparent = last.slice(prefixes.traceparent.length);
    } else if (prefixes.index && found.index === undefined && last.startsWith(prefixes.index)) {
      const digits = last.slice(prefixes.index.length);
      if (!/^[0-9]+$/.test(digits)) break;
      found.index = Number(digits);
    } else {
      break;
    }
    argc--;
  }
  if (argc === req.argc) return undefined;
  const args = req.argStrings().slice(0, argc);
  return { ...found, request: new EncodedRequest(args) };
}
