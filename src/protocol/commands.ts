// The command table: Redis's own command metadata (arity, flags, key positions) from
// @ioredis/commands, looked up by the name bytes of a request with a small case cache.
import { createRequire } from 'node:module';
import { getKeyIndexes } from '@ioredis/commands';

interface RawSpec {
  arity: number;
  flags: string[];
  keyStart: number;
  keyStop: number;
  step: number;
  subcommands?: Record<string, RawSpec>;
}

export interface CommandSpec {
  /** Lower-case name; `parent|sub` for subcommands, as Redis names them in errors. */
  readonly name: string;
  /** Its index in commandNames (from 1; 0 is a command not found), for counting by command. */
  readonly id: number;
  readonly arity: number;
  /** The only key is args[1] (GET, SET, HSET...): routed without computing key positions. */
  readonly singleKey: boolean;
  /** Has keys somewhere (computed with key specs, for multi-key and movable-key commands). */
  readonly keyed: boolean;
  readonly blocking: boolean;
  readonly pubsub: boolean;
  /** May add data (Redis's denyoom flag: SET, HSET, LPUSH...; not DEL or EXPIRE). */
  readonly grows: boolean;
  /** Changes its keys (Redis's write flag: SET, DEL, EXPIRE...), or may (scripts and functions). */
  readonly writes: boolean;
  /** Only reads (Redis's readonly flag): a miss is a fair answer when its node is down. */
  readonly readonly: boolean;
  /** Known to run long on a big dataset: sent over a node's side link, off the shared pipeline. */
  readonly slow: boolean;
  readonly subcommands: ReadonlyMap<string, CommandSpec> | null;
}

const require = createRequire(import.meta.url);
const table = require('@ioredis/commands/built/commands.json') as Record<string, RawSpec>;

/**
 * Commands (or whole command families) that can run for seconds on a large node: a full keyspace
 * walk, a flush, a save, script and function loads, DEBUG, MIGRATE.
 */
const SLOW = new Set(['keys', 'flushall', 'flushdb', 'save', 'debug', 'migrate', 'script', 'function']);

/** Every command's and subcommand's name by id; [0] counts requests for commands not found. */
export const commandNames: string[] = ['unknown'];

function toSpec(name: string, raw: RawSpec): CommandSpec {
  const movable = raw.flags.includes('movablekeys');
  const subs = raw.subcommands
    ? new Map(Object.entries(raw.subcommands).map(([sub, s]) => [sub, toSpec(`${name}|${sub}`, s)]))
    : null;
  commandNames.push(name);
  return {
    name,
    id: commandNames.length - 1,
    arity: raw.arity,
    singleKey: !movable && raw.keyStart === 1 && raw.keyStop === 1,
    keyed: movable || raw.keyStart > 0,
    blocking: raw.flags.includes('blocking'),
    pubsub: raw.flags.includes('pubsub'),
    grows: raw.flags.includes('denyoom'),
    writes: raw.flags.includes('write') || raw.flags.includes('script_runner'),
    readonly: raw.flags.includes('readonly'),
    slow: SLOW.has(name.split('|')[0]),
    subcommands: subs,
  };
}

/** jupiter's own admin command, in the table's form: JUPITER <subcommand> [args]. */
const plain = (arity: number): RawSpec => ({ arity, flags: [], keyStart: 0, keyStop: 0, step: 0 });
const JUPITER: RawSpec = {
  ...plain(-2),
  subcommands: {
    auth: plain(3),
    help: plain(2),
    nodes: plain(2),
    status: plain(2),
    addnode: plain(-3),
    removenode: plain(3),
    setweight: plain(4),
    replacenode: plain(4),
  },
};

/** The blob store's commands, answered inside jupiter (README "Blobs"). */
const BLOB: Record<string, RawSpec> = {
  'blob.put': plain(-3),
  'blob.get': plain(2),
  'blob.getrange': plain(4),
  'blob.stat': plain(2),
  'blob.del': plain(2),
  'blob.list': plain(-1),
};

const specs = new Map<string, CommandSpec>(
  [...Object.entries(table), ['jupiter', JUPITER] as const, ...Object.entries(BLOB)].map(([name, raw]) => [name, toSpec(name, raw)]),
);

// Clients send names in one case or another; remembering the spellings seen avoids a
// toLowerCase per request. Bounded, so random garbage names cannot grow it.
const spellings = new Map<string, CommandSpec | null>();
const MAX_SPELLINGS = 4096;

// Lookup straight from the request bytes, without making a string: a case-folded hash picks the
// candidates, a byte comparison confirms. This runs for every request.
const byHash = new Map<number, CommandSpec[]>();
for (const spec of specs.values()) {
  const h = foldedHash(Buffer.from(spec.name, 'latin1'), 0, spec.name.length);
  byHash.set(h, [...(byHash.get(h) ?? []), spec]);
}

function foldedHash(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] | 0x20), 0x01000193);
  return h >>> 0;
}

function sameFolded(name: string, buf: Uint8Array, start: number, end: number): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const b = buf[start + i];
    if ((b >= 65 && b <= 90 ? b | 0x20 : b) !== name.charCodeAt(i)) return false;
  }
  return true;
}

export function lookupCommandBytes(buf: Uint8Array, start: number, end: number): CommandSpec | undefined {
  const candidates = byHash.get(foldedHash(buf, start, end));
  if (candidates === undefined) return undefined;
  for (const spec of candidates) if (sameFolded(spec.name, buf, start, end)) return spec;
  return undefined;
}

export function lookupCommand(name: string): CommandSpec | undefined {
  const hit = spellings.get(name);
  if (hit !== undefined) return hit ?? undefined;
  const spec = specs.get(name.toLowerCase());
  if (spellings.size < MAX_SPELLINGS) spellings.set(name, spec ?? null);
  return spec;
}

/** Redis arity: positive means exactly that many arguments, negative means at least -arity. */
export function arityOk(spec: CommandSpec, argc: number): boolean {
  return spec.arity >= 0 ? argc === spec.arity : argc >= -spec.arity;
}

/** Where commands that declare how many keys follow keep that count (args[0] is the name). */
const NUMKEYS_AT: Readonly<Record<string, number>> = {
  eval: 2,
  evalsha: 2,
  eval_ro: 2,
  evalsha_ro: 2,
  fcall: 2,
  fcall_ro: 2,
  zunionstore: 2,
  zinterstore: 2,
  zdiffstore: 2,
  zunion: 1,
  zinter: 1,
  zdiff: 1,
  zintercard: 1,
  sintercard: 1,
  sdiffcard: 1,
  sunioncard: 1,
  msetex: 1,
  lmpop: 1,
  zmpop: 1,
  blmpop: 2,
  bzmpop: 2,
};

/**
 * Positions (in args, where args[0] is the command name) of every key, by Redis's key specs.
 * The slow path, for commands with several or movable keys.
 */
export function keyPositions(name: string, args: readonly string[]): number[] {
  const top = name.split('|')[0];
  // The key finder builds one index per declared key before looking at the arguments, so a
  // numkeys of 200000000 would build 200 million: a count beyond the arguments names no key.
  const countAt = NUMKEYS_AT[top];
  if (countAt !== undefined && !(Number(args[countAt]) <= args.length)) return [];
  try {
    return getKeyIndexes(top, args.slice(1)).map((i) => i + 1).filter((i) => i < args.length);
  } catch {
    return [];
  }
}
