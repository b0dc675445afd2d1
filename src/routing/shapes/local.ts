// Commands jupiter answers itself: connection state (QUIT, SELECT, CLIENT, HELLO, AUTH, RESET)
// and the few that have no node to ask (PING, ECHO, CONFIG GET for benchmark tools).
import { match } from 'ts-pattern';
import { bulk, integer, array, map, nil, OK, PONG, status, verbatim, EMPTY_ARRAY } from '../../protocol/encode.js';
import {
  noSuchClient,
  syntaxError,
  authNotConfigured,
  dbIndexOutOfRange,
  noProto,
  notInteger,
  notSupported,
  helloSyntaxError,
  badClientName,
  wrongPass,
  helloNoAuth,
  protocolVersionInvalid,
  wrongArity,
} from '../../protocol/errors.js';
import type { Dispatch, Shape } from '../dispatch.js';
import { typedName, type RequestView } from '../request.js';

export const ping: Shape = {
  subscribedMode: true,
  dispatch(req, spec, d) {
    if (req.argc > 2) return d.reply(wrongArity(spec.name));
    // A subscribed RESP2 client's PING is answered in the shape of a message, as Redis does.
    if (d.client.subscriptions > 0 && !d.client.resp3) return d.reply(array([bulk('pong'), bulk(req.argc === 1 ? '' : req.argBuffer(1))]));
    d.reply(req.argc === 1 ? PONG : bulk(req.argBuffer(1)));
  },
};

export const echo: Shape = {
  dispatch(req, _spec, d) {
    d.reply(bulk(req.argBuffer(1)));
  },
};

export const quit: Shape = {
  connectionLocal: true,
  subscribedMode: true,
  dispatch(_req, _spec, d) {
    d.reply(OK);
    d.client.closeAfterReply();
  },
};

export const reset: Shape = {
  connectionLocal: true,
  subscribedMode: true,
  dispatch(_req, _spec, d) {
    d.client.name = null;
    d.client.authenticate(null);
    d.client.forgetSubscriptions();
    d.useProtocol(false);
    // A transaction or watch left on the leased connection: that connection is closed, not reused.
    const { session } = d.client;
    const clean = !session.active;
    session.clear();
    d.endLease(clean);
    d.reply(status('RESET'));
  },
};

/** jupiter shares backend connections between clients, so only database 0 exists. */
export const select: Shape = {
  connectionLocal: true,
  dispatch(req, _spec, d) {
    const text = req.argString(1);
    if (!/^-?[0-9]+$/.test(text)) return d.reply(notInteger);
    d.reply(Number(text) === 0 ? OK : dbIndexOutOfRange);
  },
};

const CLIENT_NAME = /^[!-~]*$/;

function setName(d: Dispatch, name: string): boolean {
  if (!CLIENT_NAME.test(name)) return false;
  d.client.name = name.length > 0 ? name : null;
  return true;
}

export const client: Shape = {
  connectionLocal: true,
  dispatch(req, spec, d) {
    d.reply(
      match(spec.name)
        .with('client|setname', () => (setName(d, req.argString(2)) ? OK : badClientName))
        .with('client|getname', () => (d.client.name === null ? nil(d.client.resp3) : bulk(d.client.name)))
        .with('client|id', () => integer(d.client.id))
        .with('client|info', () => verbatim(`${d.client.describe()}\n`, d.client.resp3))
        .with('client|list', () => clientList(req, d))
        .with('client|kill', () => clientKill(req, d))
        .with('client|setinfo', () => OK)
        .otherwise(() => notSupported(typedName(req, true))),
    );
  },
};

/** CLIENT LIST [ID id ...]: this proxy's clients (a node's own list would show jupiter's connections). */
function clientList(req: RequestView, d: Dispatch): Uint8Array {
  const ids = new Set<number>();
  for (let i = 2; i < req.argc; i++) {
    if (req.argString(i).toLowerCase() === 'id') continue;
    const id = Number(req.argString(i));
    if (!Number.isInteger(id)) return syntaxError;
    ids.add(id);
  }
  const lines = [...d.proxy.clients()].filter((c) => ids.size === 0 || ids.has(c.id)).map((c) => `${c.describe()}\n`);
  return verbatim(lines.join(''), d.client.resp3);
}

/**
 * CLIENT KILL addr (the old form: +OK, or an error when none matched) or CLIENT KILL ID id | ADDR
 * addr | SKIPME yes/no ... (the filters: how many were closed).
 */
function clientKill(req: RequestView, d: Dispatch): Uint8Array {
  const clients = [...d.proxy.clients()];
  if (req.argc === 3) {
    const target = clients.find((c) => c.addr === req.argString(2));
    if (target === undefined) return noSuchClient;
    target.kill();
    return OK;
  }
  if (req.argc % 2 !== 0) return syntaxError;
  let match = clients;
  let skipMe = true;
  for (let i = 2; i < req.argc; i += 2) {
    const [filter, value] = [req.argString(i).toLowerCase(), req.argString(i + 1)];
    if (filter === 'id') match = match.filter((c) => String(c.id) === value);
    else if (filter === 'addr') match = match.filter((c) => c.addr === value);
    else if (filter === 'skipme' && (value === 'yes' || value === 'no')) skipMe = value === 'yes';
    else return syntaxError;
  }
  const killed = match.filter((c) => !(skipMe && c.id === d.client.id));
  for (const c of killed) c.kill();
  return integer(killed.length);
}

/**
 * Checks a user name and password against auth (requirepass is the user "default"); without any
 * password configured, Redis's answers for its passwordless default user. Null when signed in,
 * else the error to answer.
 */
function signIn(d: Dispatch, name: string, password: string): Uint8Array | null {
  const { access } = d.proxy;
  if (!access.required) return name === 'default' ? null : wrongPass;
  const user = access.authenticate(name, password);
  if (user === null) return wrongPass;
  d.client.authenticate(user);
  return null;
}

/** AUTH <password> (the user "default") or AUTH <user> <password>. */
export const auth: Shape = {
  connectionLocal: true,
  dispatch(req, _spec, d) {
    if (req.argc === 2 && !d.proxy.access.required) return d.reply(authNotConfigured);
    const refused = req.argc === 2 ? signIn(d, 'default', req.argString(1)) : signIn(d, req.argString(1), req.argString(2));
    d.reply(refused ?? OK);
  },
};

function helloReply(d: Dispatch): Uint8Array {
  const { resp3 } = d.client;
  return map(
    [
      [bulk('server'), bulk('redis')],
      [bulk('version'), bulk(d.proxy.version)],
      [bulk('proto'), integer(resp3 ? 3 : 2)],
      [bulk('id'), integer(d.client.id)],
      [bulk('mode'), bulk('standalone')],
      [bulk('role'), bulk('master')],
      [bulk('modules'), EMPTY_ARRAY],
    ],
    resp3,
  );
}

/** HELLO [2|3 [AUTH user pass] [SETNAME name]]: answered in the protocol it asks for. */
export const hello: Shape = {
  connectionLocal: true,
  dispatch(req, _spec, d) {
    let version = d.client.resp3 ? 3 : 2;
    if (req.argc > 1) {
      const given = req.argString(1);
      if (!/^[0-9]+$/.test(given)) return d.reply(protocolVersionInvalid);
      if (given !== '2' && given !== '3') return d.reply(noProto);
      version = Number(given);
    }
    for (let i = 2; i < req.argc; i++) {
      const given = req.argString(i);
      const option = given.toLowerCase();
      if (option === 'auth' && i + 2 < req.argc) {
        const refused = signIn(d, req.argString(i + 1), req.argString(i + 2));
        if (refused !== null) return d.reply(refused);
        i += 2;
      } else if (option === 'setname' && i + 1 < req.argc) {
        if (!setName(d, req.argString(i + 1))) return d.reply(badClientName);
        i += 1;
      } else {
        return d.reply(helloSyntaxError(given));
      }
    }
    if (!d.client.authenticated) return d.reply(helloNoAuth);
    d.useProtocol(version === 3);
    d.reply(helloReply(d));
  },
};
