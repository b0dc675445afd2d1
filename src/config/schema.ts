// The one source of every option: its type, default and environment variable.
import { z } from 'zod';
import { REDIS_LIMITS } from '../protocol/limits.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const NODE_ACTOR_PLACEMENTS = ['main', 'worker'] as const;

// [name=]host:port[:weight]; a name is what the ring hashes, so a node can change address without
// moving its keys.
const NODE = /^(?:([A-Za-z0-9_.-]+)=)?(\[[^\]]+\]|[^:=\s]+):(\d{1,5})(?::(\d+(?:\.\d+)?))?$/;
const ADDRESS = /^(\[[^\]]+\]|[^:=\s]+):(\d{1,5})$/;

/** TLS towards nodes: backend.tls for every node, or a node object's own. */
const nodeTlsSchema = z
  .object({
    ca: z.string().min(1).optional().describe("PEM file of the CA that signed the nodes' certificates (unset: the system's CAs)."),
    cert: z.string().min(1).optional().describe("PEM file of jupiter's client certificate, for nodes that ask for one (tls-auth-clients)."),
    key: z.string().min(1).optional().describe('PEM file of that certificate\'s private key.'),
    servername: z.string().min(1).optional().describe('Name checked in the nodes\' certificates (unset: the host of each node, unless it is an IP).'),
    // Optional rather than defaulted, so a node object parses to what it was (the address form's pipe).
    rejectUnauthorized: z.boolean().optional().describe('false: accept nodes whose certificate does not verify (testing only; default true).'),
  })
  .strict();

// A node's own access, in place of backend.*'s (managed services give each instance its own).
const nodeAccess = {
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  passwordFile: z.string().min(1).optional(),
  tls: nodeTlsSchema.optional(),
};

const node = {
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a name is letters, digits, "_", "." or "-"').optional(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  weight: z.number().positive().max(100),
  ...nodeAccess,
};

const unbracket = (host: string): string => host.replace(/^\[|\]$/g, '');
// An unnamed node has no name key at all, so it reads as it did before names existed.
const named = (name: string | undefined): { name?: string } => (name === undefined ? {} : { name });

// The string forms are parsed into the object form and then checked by the same rules.
export const nodeSchema = z.union(
  [
    z
      .string()
      .regex(NODE, 'expected host:port, host:port:weight or name=host:port[:weight]')
      .transform((s) => {
        const [, name, host, port, weight] = NODE.exec(s)!;
        return { ...named(name), host: unbracket(host), port: Number(port), weight: weight === undefined ? 1 : Number(weight) };
      })
      .pipe(z.object(node)),
    z.object({ ...node, weight: node.weight.default(1) }).strict(),
    z
      .object({ name: node.name, address: z.string().regex(ADDRESS, 'expected host:port'), weight: node.weight.default(1), ...nodeAccess })
      .strict()
      .transform(({ name, address, weight, ...access }) => {
        const [, host, port] = ADDRESS.exec(address)!;
        return { ...named(name), host: unbracket(host), port: Number(port), weight, ...access };
      })
      .pipe(z.object(node)),
  ],
  { error: 'expected "host:port", "host:port:weight", "name=host:port[:weight]", {host, port, weight} or {name, address, weight}' },
);

/** A node as a caller may write it: one of the forms nodeSchema accepts. */
export type NodeInput = z.input<typeof nodeSchema>;

/** The id a node has on the ring: its name when it has one, else its address. */
export const memberId = (n: { readonly name?: string; readonly host: string; readonly port: number }): string => n.name ?? `${n.host}:${n.port}`;

/** The member list: at least one node, no address or name twice. */
export const nodeListSchema = z
  .array(nodeSchema, {
    error: (issue) => (issue.input === undefined ? 'required; list the Redis nodes as host:port (--nodes, JUPITER_NODES, or nodes: in the config file)' : undefined),
  })
  .min(1, 'at least one node is required')
  .superRefine((nodes, ctx) => {
    const seen = new Set<string>();
    nodes.forEach((n, i) => {
      // Neither an address nor a name may appear twice, nor a name that is another node's address.
      for (const id of new Set([`${n.host}:${n.port}`, memberId(n)])) {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: `${id} is listed more than once` });
        seen.add(id);
      }
    });
  });

// Every option carries its description (.describe), so the README's configuration reference is
// generated from this schema (scripts/config-reference.ts) and cannot drift from it.
export const configSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(6380).describe('Port clients connect to (0: any free port).'),
    bind: z.string().default('127.0.0.1').describe('Address to listen on (0.0.0.0: every interface).'),
    nodes: nodeListSchema.describe('The Redis nodes: host:port, host:port:weight, name=host:port[:weight], {host, port, weight} or {name, address, weight}; an object may add its own username, password (or passwordFile) and tls in place of backend.*.'),
    nodeActors: z.enum(NODE_ACTOR_PLACEMENTS).default('main').describe('Where NodeActors run: on the main event loop (fastest on few cores) or in a worker thread.'),
    workers: z.number().int().min(1).max(64).default(1).describe('Proxy processes sharing the listening port (node:cluster); more than 1 only pays off with spare cores.'),
    hashTags: z.boolean().default(true).describe('Hash keys holding {tag} by the tag only.'),
    prefixes: z
      .object({
        hash: z.string().default('hash=').describe('Trailing argument naming the key to route by ("" switches it off).'),
        // Off by default: a last argument such as `index=1` is too often a value (RPUSH q a index=1).
        index: z.string().default('').describe('Trailing argument picking a node by its index ("" switches it off).'),
        traceparent: z.string().default('traceparent=').describe('Trailing argument carrying a W3C trace context ("" switches it off).'),
      })
      .strict()
      .default({ hash: 'hash=', index: '', traceparent: 'traceparent=' })
      .describe('Trailing-argument option prefixes.'),
    limits: z
      .object({
        maxBulkLength: z.number().int().min(1024 * 1024).default(REDIS_LIMITS.maxBulkLength).describe("Largest bulk string a client may send (Redis's proto-max-bulk-len)."),
        maxMultibulkLength: z.number().int().min(1).max(REDIS_LIMITS.maxMultibulkLength).default(REDIS_LIMITS.maxMultibulkLength).describe('Most arguments in one command.'),
        maxInlineLength: z.number().int().min(1024).default(REDIS_LIMITS.maxInlineLength).describe('Longest inline command line.'),
        maxQueryBuffer: z.number().int().min(1024 * 1024).default(REDIS_LIMITS.maxQueryBuffer).describe("Unparsed bytes kept per client (Redis's client-query-buffer-limit)."),
        maxClients: z.number().int().min(1).default(10000).describe('Client connections at once; past it a new one is answered an error and closed.'),
        maxInflightPerClient: z.number().int().min(1).default(10000).describe("Pending replies per client before jupiter stops reading its socket."),
        maxLeasesPerNode: z.number().int().min(1).default(1000).describe('Backend connections per node leased to clients for transactions and blocking commands.'),
        maxOutputBuffer: z.number().int().min(0).default(256 * 1024 * 1024).describe('Reply bytes queued for a client that does not read them before it is disconnected (0: no limit).'),
        idleTimeoutSeconds: z.number().int().min(0).default(0).describe("Close a client idle this long (Redis's timeout; 0: never)."),
      })
      .strict()
      .prefault({})
      .describe('Limits on what clients may send and hold.'),
    backend: z
      .object({
        requestTimeoutMs: z.number().int().min(1).default(2000).describe('A request unanswered this long gets a timeout error alone (README "Timeouts").'),
        slowRequestTimeoutMs: z.number().int().min(1).default(60000).describe('The same for commands known to be slow (KEYS, FLUSHALL, SCRIPT LOAD...), which use a link of their own.'),
        maxQueuedBytes: z.number().int().min(1024 * 1024).default(64 * 1024 * 1024).describe('Request bytes queued for one node link before new requests are refused with a busy error.'),
        connectTimeoutMs: z.number().int().min(1).default(1000).describe('How long a connect to a node may take.'),
        reconnectMaxDelayMs: z.number().int().min(10).default(2000).describe('Longest wait between reconnects to a node that is down.'),
        username: z.string().min(1).optional().describe('User jupiter authenticates as on every node (AUTH <username> <password>); unset: the default user.'),
        password: z.string().min(1).optional().describe('Password jupiter authenticates with on every node; a node object may carry its own.'),
        passwordFile: z.string().min(1).optional().describe('A file holding backend.password (its first line).'),
        tls: nodeTlsSchema.optional().describe('TLS to the nodes; unset: plain TCP. A node object may carry its own tls.'),
      })
      .strict()
      .prefault({})
      .describe('Connections to the Redis nodes.'),
    membership: z
      .object({
        database: z.number().int().min(0).default(15).describe('The Redis database of each node that holds the record, heartbeats and acknowledgements.'),
        heartbeatMs: z.number().int().min(50).default(1000).describe('How often a proxy renews its heartbeat and polls the record; a heartbeat lasts three times this.'),
        ackTimeoutMs: z.number().int().min(100).default(5000).describe("How long a change's prepare waits for every live proxy to acknowledge before it is abandoned."),
      })
      .strict()
      .prefault({})
      .describe('The membership record every proxy over the same nodes shares (README "Adding and removing nodes").'),
    handoff: z
      .object({
        method: z.enum(['auto', 'migrate', 'restore']).default('auto').describe('migrate: MIGRATE between nodes; restore: DUMP/RESTORE through jupiter; auto: MIGRATE until a node refuses it.'),
        migrateTimeoutMs: z.number().int().min(1).default(5000).describe("MIGRATE's own timeout for a transfer between two nodes."),
        batch: z.number().int().min(1).max(100000).default(1000).describe('Keys the migrator looks at per SCAN step.'),
        keysPerSecond: z.number().int().min(0).default(10000).describe('Keys the migrator moves per second at most, so clients keep their latency (0: no limit).'),
        attempts: z.number().int().min(1).max(10).default(3).describe('Attempts of one client-triggered move before it is reported and the request runs anyway.'),
      })
      .strict()
      .prefault({})
      .describe('How keys move during a handoff.'),
    eject: z
      .object({
        enabled: z.boolean().default(false).describe('Take a failing node out of the ring until it answers again; false: its keys answer errors (or misses, with onDown).'),
        failureLimit: z.number().int().min(1).default(2).describe('Consecutive failed requests or connects before the node is ejected.'),
        retryTimeoutMs: z.number().int().min(100).default(30000).describe('How long an ejected node stays out before it is probed and, if it answers, brought back.'),
        hintLimit: z.number().int().min(0).default(100000).describe('Keys written while a node is out that are remembered per node; past it, the node is flushed on return.'),
        onDown: z.enum(['error', 'miss']).default('error').describe('What a read for a node that is down, not yet ejected, gets: an error, or a miss (nil).'),
      })
      .strict()
      .prefault({})
      .describe('Taking a failed node out of the ring, and back without stale data (README "When a node fails").'),
    tls: z
      .object({
        cert: z.string().min(1).describe("PEM file of jupiter's server certificate."),
        key: z.string().min(1).describe('PEM file of its private key.'),
        ca: z.string().min(1).optional().describe('PEM file of the CA that signs client certificates.'),
        clientCertificates: z.boolean().default(false).describe('Require each client to present a certificate signed by ca.'),
      })
      .strict()
      .optional()
      .describe('TLS on the client port; unset: plain TCP.'),
    auth: z
      .object({
        requirepass: z.string().min(1).optional().describe('Password of the user "default": clients must AUTH before other commands. Plain, or sha256:<64 hex digits>.'),
        requirepassFile: z.string().min(1).optional().describe('A file holding requirepass (its first line), instead of the password in the configuration.'),
        users: z
          .array(
            z
              .object({
                name: z
                  .string()
                  .regex(/^[A-Za-z0-9_.@-]+$/, 'a user name is letters, digits, "_", ".", "@" or "-"')
                  .refine((n) => n !== 'jupiter.internal', 'jupiter.internal is the name of jupiter\'s own client'),
                password: z.string().min(1).optional(),
                passwordFile: z.string().min(1).optional(),
                commands: z
                  .object({ allow: z.array(z.string().min(1)).optional(), deny: z.array(z.string().min(1)).default([]) })
                  .strict()
                  .prefault({}),
                admin: z.boolean().default(false),
              })
              .strict()
              .refine((u) => (u.password === undefined) !== (u.passwordFile === undefined), 'give a user either password or passwordFile'),
          )
          .default([])
          .describe('Users for AUTH <user> <password>: {name, password or passwordFile, commands: {allow, deny}, admin}. allow unset: every command.'),
      })
      .strict()
      .prefault({})
      .refine((a) => !(a.requirepass !== undefined && a.requirepassFile !== undefined), { message: 'give requirepass or requirepassFile, not both', path: ['requirepass'] })
      .refine((a) => new Set(a.users.map((u) => u.name)).size === a.users.length, { message: 'a user is listed more than once', path: ['users'] })
      .refine((a) => !((a.requirepass !== undefined || a.requirepassFile !== undefined) && a.users.some((u) => u.name === 'default')), {
        message: 'requirepass is the password of the user "default"; do not list "default" in users too',
        path: ['users'],
      })
      .describe('Who may use the proxy (README "Security").'),
    commands: z
      .object({
        deny: z.array(z.string().min(1)).default([]).describe('Commands refused on this proxy: names, or "CONFIG SET" for one subcommand.'),
      })
      .strict()
      .prefault({})
      .describe('Commands switched off.'),
    admin: z
      .object({
        enabled: z.boolean().default(true).describe('false: every JUPITER command is refused.'),
        password: z.string().min(1).optional().describe('Set: JUPITER commands other than AUTH need JUPITER AUTH <password> on the connection first.'),
      })
      .strict()
      .prefault({})
      .describe('The JUPITER admin commands (README "Admin commands").'),
    metrics: z
      .object({
        port: z.number().int().min(0).max(65535).optional().describe('Port of GET /metrics, /healthz, /readyz and /health (unset: no endpoint; 0: any free port).'),
        bind: z.string().default('127.0.0.1').describe('Address the metrics endpoint listens on.'),
      })
      .strict()
      .prefault({})
      .describe('The HTTP endpoint for operators (README "Metrics and health").'),
    log: z
      .object({ level: z.enum(LOG_LEVELS).default('info').describe('Least severe level written (JSON lines on stdout).') })
      .strict()
      .prefault({})
      .describe('Logs.'),
    tracing: z
      .object({
        enabled: z.boolean().default(true).describe('false: no spans, whatever SDK is registered; the CLI then installs none.'),
        sampleRatio: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe('Share of commands without a client trace context that are traced (unset: from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, else 0.001).'),
        recordKeys: z.boolean().default(false).describe('Keys (never values) in db.query.text.'),
        endpoint: z.url({ protocol: /^https?$/ }).optional().describe('OTLP/HTTP traces URL (unset: the standard OTEL_EXPORTER_OTLP_* variables).'),
      })
      .strict()
      .prefault({})
      .describe('OpenTelemetry spans per command (README "See a request in Jaeger").'),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type NodeAddress = Config['nodes'][number];

export interface EnvironmentOption {
  /** The option's path in the configuration, dot-separated. */
  readonly option: string;
  readonly parse: (value: string) => unknown;
}

// A number when the text is one; otherwise the text itself, so validation names what was given.
export const numberOrText = (v: string): number | string => (/^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v);
export const booleanOrText = (v: string): boolean | string => (/^\s*(true|1|yes|on)\s*$/i.test(v) ? true : /^\s*(false|0|no|off)\s*$/i.test(v) ? false : v);
export const commaList = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

/** Environment variables, each mapped onto one option (applied under file values and over defaults). */
export const environment: Record<string, EnvironmentOption> = {
  JUPITER_PORT: { option: 'port', parse: numberOrText },
  JUPITER_BIND: { option: 'bind', parse: (v) => v },
  JUPITER_NODES: { option: 'nodes', parse: commaList },
  JUPITER_NODE_ACTORS: { option: 'nodeActors', parse: (v) => v },
  JUPITER_WORKERS: { option: 'workers', parse: numberOrText },
  JUPITER_LOG_LEVEL: { option: 'log.level', parse: (v) => v },
  JUPITER_METRICS_PORT: { option: 'metrics.port', parse: numberOrText },
  JUPITER_METRICS_BIND: { option: 'metrics.bind', parse: (v) => v },
  JUPITER_MEMBERSHIP_DATABASE: { option: 'membership.database', parse: numberOrText },
  JUPITER_HANDOFF_METHOD: { option: 'handoff.method', parse: (v) => v },
  JUPITER_HANDOFF_KEYS_PER_SECOND: { option: 'handoff.keysPerSecond', parse: numberOrText },
  JUPITER_EJECT_ENABLED: { option: 'eject.enabled', parse: booleanOrText },
  JUPITER_EJECT_FAILURE_LIMIT: { option: 'eject.failureLimit', parse: numberOrText },
  JUPITER_EJECT_RETRY_TIMEOUT_MS: { option: 'eject.retryTimeoutMs', parse: numberOrText },
  JUPITER_EJECT_HINT_LIMIT: { option: 'eject.hintLimit', parse: numberOrText },
  JUPITER_EJECT_ON_DOWN: { option: 'eject.onDown', parse: (v) => v },
  JUPITER_AUTH_REQUIREPASS: { option: 'auth.requirepass', parse: (v) => v },
  JUPITER_AUTH_REQUIREPASS_FILE: { option: 'auth.requirepassFile', parse: (v) => v },
  JUPITER_COMMANDS_DENY: { option: 'commands.deny', parse: commaList },
  JUPITER_BACKEND_USERNAME: { option: 'backend.username', parse: (v) => v },
  JUPITER_BACKEND_PASSWORD: { option: 'backend.password', parse: (v) => v },
  JUPITER_BACKEND_PASSWORD_FILE: { option: 'backend.passwordFile', parse: (v) => v },
  JUPITER_ADMIN_ENABLED: { option: 'admin.enabled', parse: booleanOrText },
  JUPITER_ADMIN_PASSWORD: { option: 'admin.password', parse: (v) => v },
  JUPITER_TRACING_ENABLED: { option: 'tracing.enabled', parse: booleanOrText },
  JUPITER_TRACING_SAMPLE_RATIO: { option: 'tracing.sampleRatio', parse: numberOrText },
  JUPITER_TRACING_RECORD_KEYS: { option: 'tracing.recordKeys', parse: booleanOrText },
  JUPITER_TRACING_ENDPOINT: { option: 'tracing.endpoint', parse: (v) => v },
};
