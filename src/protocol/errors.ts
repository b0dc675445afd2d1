// Every error reply a client can meet, in one place, with Redis's wording where Redis has one.
// Each is built as wire bytes once (constants) or on demand (formatted ones).

const line = (text: string): Buffer => Buffer.from(`-${text}\r\n`, 'latin1');

/** Thrown by the request parser; the connection sends `reply` and closes, as Redis does. */
export class ProtocolError extends Error {
  readonly reply: Buffer;
  /** silent: close without a reply, as Redis does when a client overflows its query buffer. */
  constructor(text: string, silent = false) {
    super(text);
    this.name = 'ProtocolError';
    this.reply = silent ? Buffer.alloc(0) : line(text);
  }
}

export const protocolErrors = {
  invalidMultibulkLength: () => new ProtocolError('ERR Protocol error: invalid multibulk length'),
  invalidBulkLength: () => new ProtocolError('ERR Protocol error: invalid bulk length'),
  expectedDollar: (got: number) => new ProtocolError(`ERR Protocol error: expected '$', got '${String.fromCharCode(got)}'`),
  unbalancedQuotes: () => new ProtocolError('ERR Protocol error: unbalanced quotes in request'),
  tooBigInline: () => new ProtocolError('ERR Protocol error: too big inline request'),
  tooBigMbulkCount: () => new ProtocolError('ERR Protocol error: too big mbulk count string'),
  tooBigBulkCount: () => new ProtocolError('ERR Protocol error: too big bulk count string'),
  queryBufferLimit: () => new ProtocolError('client reached the query buffer limit', true),
  unauthenticatedMultibulkLength: () => new ProtocolError('ERR Protocol error: unauthenticated multibulk length'),
  unauthenticatedBulkLength: () => new ProtocolError('ERR Protocol error: unauthenticated bulk length'),
};

/** Redis quotes at most 128 characters of arguments and turns CR/LF into spaces. */
export function unknownCommand(name: string, args: readonly string[]): Buffer {
  let list = '';
  for (const a of args) {
    if (list.length >= 128) break;
    list += `'${a.slice(0, 128 - list.length).replace(/[\r\n]/g, ' ')}' `;
  }
  return line(`ERR unknown command '${name.slice(0, 128).replace(/[\r\n]/g, ' ')}', with args beginning with: ${list}`);
}

export const unknownSubcommand = (sub: string, command: string): Buffer =>
  line(`ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${command.toUpperCase()} HELP.`);

export const wrongArity = (fullName: string): Buffer => line(`ERR wrong number of arguments for '${fullName}' command`);

export const crossSlot = line("CROSSSLOT Keys in request don't hash to the same node (use hash=KEY)");
export const helloSyntaxError = (option: string): Buffer => line(`ERR Syntax error in HELLO option '${option.replace(/[\r\n]/g, ' ')}'`);
export const notInteger = line('ERR value is not an integer or out of range');
export const syntaxError = line('ERR syntax error');
export const noSuchClient = line('ERR No such client');
export const dbIndexOutOfRange = line('ERR DB index is out of range');
export const noProto = line('NOPROTO unsupported protocol version');
export const invalidCursor = line('ERR invalid cursor');
export const authNotConfigured = line(
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
);
export const internalError = line('ERR jupiter internal error, the request was not completed');

export const nodeUnavailable = (node: string): Buffer => line(`ERR node ${node} unavailable`);
export const nodeTimeout = (node: string): Buffer => line(`ERR node ${node} unavailable: request timed out`);
export const nodeBusy = (node: string): Buffer => line(`ERR node ${node} busy: too many request bytes waiting to be sent`);
export const nodeProtocolError = (node: string): Buffer => line(`ERR node ${node} protocol error: bad reply from node, link reset`);
/** A node's error to a command sent to every node: its code, then which node said it. */
export function nodeRefused(node: string, error: string): Buffer {
  const code = /^[A-Z]+\b/.exec(error)?.[0];
  const text = code === undefined ? error : error.slice(code.length).trimStart();
  return line(`${code ?? 'ERR'} node ${node}: ${text.replace(/[\r\n]/g, ' ')}`);
}
export const leaseLimit = (node: string, max: number): Buffer =>
  line(`ERR node ${node} has ${max} connections leased to clients already (limits.maxLeasesPerNode); try again later`);
export const leaseLost = (node: string): Buffer => line(`ERR node ${node} unavailable: the connection this client's transaction or blocking command used was lost`);

/** Keyless commands jupiter neither answers nor fans out: they need a node chosen with hash=. */
export const needsHashKey = (name: string): Buffer =>
  line(`ERR '${name}' has no key to route by; add hash=KEY to send it to one node`);

/** Commands that need a connection of their own (transactions, blocking, Pub/Sub) until leasing lands. */
export const notSupported = (name: string): Buffer => line(`ERR '${name}' is not supported by jupiter yet`);

// Transactions, in Redis's words where Redis has them (multi.c).
export const multiNested = line('ERR MULTI calls can not be nested');
export const execWithoutMulti = line('ERR EXEC without MULTI');
export const discardWithoutMulti = line('ERR DISCARD without MULTI');
export const watchInMulti = line('ERR WATCH inside MULTI is not allowed');
export const execAbort = line('EXECABORT Transaction discarded because of previous errors.');
export const keysMoved = line('EXECABORT Transaction discarded: its keys moved to another node (membership change); run it again');
export const keyMoving = line('TRYAGAIN the key is moving to another node (membership change in progress); try again');
/** A subscribed client (RESP2) may only manage its subscriptions (Redis's words, server.c). */
export const onlySubscribeCommands = (name: string): Buffer =>
  line(`ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
/** A command acting on the client's connection to jupiter, which a transaction on a node cannot hold. */
export const notInTransaction = (name: string): Buffer => line(`ERR '${name}' cannot be queued in a transaction through jupiter`);

export const adminDisabled = line('ERR JUPITER admin commands are switched off on this proxy (admin.enabled: false)');
export const adminNeedsAuth = line('NOAUTH JUPITER admin commands need JUPITER AUTH <admin.password> on this connection first');
/** A JUPITER subcommand whose arguments cannot be read. */
export const badAdminArgument = (text: string): Buffer => line(`ERR ${text.replace(/[\r\n]/g, ' ')}`);
/** A membership change that was refused: already running, lost to another, not applicable. */
export const changeRefused = (text: string): Buffer => line(`ERR ${text.replace(/[\r\n]/g, ' ')}`);
export const adminFailed = (subcommand: string, why: string): Buffer => line(`ERR JUPITER ${subcommand.toUpperCase()} failed: ${why.replace(/[\r\n]/g, ' ')}`);

/** A BLOB.* command that failed: a missing chunk, a checksum mismatch, a node error. */
export const blobFailed = (message: string): Buffer => line(`ERR ${message.replace(/[\r\n]/g, ' ')}`);

export const badClientName = line('ERR Client names cannot contain spaces, newlines or special characters.');
export const wrongPass = line('WRONGPASS invalid username-password pair or user is disabled.');
export const noAuth = line('NOAUTH Authentication required.');
/** A node refused jupiter's own credentials (backend.username, backend.password). */
export const nodeAuthRefused = (node: string): Buffer => line(`ERR node ${node} refused jupiter's credentials (backend.username, backend.password)`);
export const helloNoAuth = line(
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
);
/** A command the client's user may not run (auth.users[].commands). */
export const noPermission = (name: string): Buffer => line(`NOPERM this user has no permissions to run the '${name}' command`);
/** A command on the proxy's deny-list (commands.deny), named as the client typed it. */
export const commandDisabled = (typed: string): Buffer => line(`ERR command '${typed.toUpperCase().replace(/[\r\n]/g, ' ')}' is disabled on this proxy`);
export const protocolVersionInvalid = line('ERR Protocol version is not an integer or out of range');
