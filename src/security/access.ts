// Who may run what through the front door: the users (requirepass is the user "default"), their
// command lists, and the proxy's deny-list. Passwords are kept only as SHA-256 digests and
// compared in constant time; a client's checks are skipped entirely when nothing restricts it.
import { createHash, timingSafeEqual } from 'node:crypto';

/** A command as the lists name it: `FLUSHALL`, or `CONFIG SET` for one subcommand. */
export type CommandRule = string;

export interface UserConfig {
  readonly name: string;
  /** The password, or its digest as `sha256:<64 hex digits>`. */
  readonly password: string;
  readonly commands: { readonly allow?: readonly CommandRule[]; readonly deny: readonly CommandRule[] };
  /** May run the JUPITER admin commands without JUPITER AUTH. */
  readonly admin: boolean;
}

export interface AccessConfig {
  readonly requirepass?: string;
  readonly users: readonly UserConfig[];
  readonly deny: readonly CommandRule[];
}

// A configured password is text (UTF-8, as YAML and the environment give it); a password a client
// sent is the parser's string of its bytes (latin1), so the same characters digest to the same bytes.
const configuredDigest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
const sentDigest = (given: string): Buffer => createHash('sha256').update(given, 'latin1').digest();

/** The digest a configured password stands for: `sha256:<hex>` as given, else the text's digest. */
function storedDigest(password: string): Buffer {
  const hashed = /^sha256:([0-9a-fA-F]{64})$/.exec(password);
  return hashed ? Buffer.from(hashed[1], 'hex') : configuredDigest(password);
}

/** Whether a password a client sent is the configured text (admin.password); digests are compared, in constant time. */
export function passwordMatches(given: string, configured: string): boolean {
  return timingSafeEqual(sentDigest(given), configuredDigest(configured));
}

/** Command names as the command table spells them: lower case, a subcommand after '|'. */
const ruleName = (rule: CommandRule): string => rule.trim().toLowerCase().replace(/\s+/, '|');

/** A set of rules: `config` covers every CONFIG subcommand, `config|set` just the one. */
export class CommandSet {
  private readonly names: ReadonlySet<string>;
  constructor(rules: readonly CommandRule[]) {
    this.names = new Set(rules.map(ruleName));
  }
  get size(): number {
    return this.names.size;
  }
  has(name: string): boolean {
    if (this.names.has(name)) return true;
    const bar = name.indexOf('|');
    return bar > 0 && this.names.has(name.slice(0, bar));
  }
}

export class User {
  readonly name: string;
  readonly admin: boolean;
  private readonly digest: Buffer;
  private readonly allow: CommandSet | null;
  private readonly deny: CommandSet;
  /** False for a user who may run every command: its requests skip the check. */
  readonly restricted: boolean;

  constructor(config: UserConfig) {
    this.name = config.name;
    this.admin = config.admin;
    this.digest = storedDigest(config.password);
    this.allow = config.commands.allow === undefined ? null : new CommandSet(config.commands.allow);
    this.deny = new CommandSet(config.commands.deny);
    this.restricted = this.allow !== null || this.deny.size > 0;
  }

  get digestHex(): string {
    return this.digest.toString('hex');
  }

  passwordMatches(given: string): boolean {
    return timingSafeEqual(sentDigest(given), this.digest);
  }

  /** May run the command (its table name, `config|set`). */
  allows(name: string): boolean {
    return (this.allow === null || this.allow.has(name)) && !this.deny.has(name);
  }
}

/** The front door's rules. */
export class Access {
  /** A client must AUTH before anything but AUTH, HELLO ... AUTH, QUIT and RESET. */
  readonly required: boolean;
  readonly denied: CommandSet;
  private readonly users = new Map<string, User>();

  /**
   * The password of jupiter's own client of itself (BLOB.* commands), when a password is required:
   * derived from every configured password's digest, so each process of a proxy (workers, other
   * proxies with the same configuration) knows it, and no one without the configuration can.
   */
  readonly internalPassword: string | undefined;

  constructor(config: AccessConfig) {
    if (config.requirepass !== undefined) this.users.set('default', new User({ name: 'default', password: config.requirepass, commands: { deny: [] }, admin: false }));
    for (const u of config.users) this.users.set(u.name, new User(u));
    this.required = this.users.size > 0;
    this.denied = new CommandSet(config.deny);
    if (this.required) {
      const digests = [...this.users.values()].map((u) => `${u.name}:${u.digestHex}`).sort();
      this.internalPassword = createHash('sha256').update(`${INTERNAL_USER}\n${digests.join('\n')}`).digest('hex');
      this.users.set(INTERNAL_USER, new User({ name: INTERNAL_USER, password: this.internalPassword, commands: { deny: [] }, admin: false }));
    }
  }

  /** The user the name and password stand for, or null; every user's check takes the same time. */
  authenticate(name: string, password: string): User | null {
    const user = this.users.get(name);
    // An unknown name still pays for a comparison, so timing does not tell which names exist.
    const matches = (user ?? DECOY).passwordMatches(password);
    return user !== undefined && matches ? user : null;
  }
}

/** The user jupiter's own client of itself signs in as. */
export const INTERNAL_USER = 'jupiter.internal';

const DECOY = new User({ name: '', password: `sha256:${'0'.repeat(64)}`, commands: { deny: [] }, admin: false });
