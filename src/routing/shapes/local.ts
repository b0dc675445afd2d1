// Commands jupiter answers itself: connection state (QUIT, SELECT, CLIENT, HELLO, AUTH, RESET)
// and the few that have no node to ask (PING, ECHO, CONFIG GET for benchmark tools).
import { match } from 'ts-pattern';
import { bulk, integer, array, map, nil, OK, PONG, status, verbatim, EMPTY_ARRAY } from '../../protocol/encode.js';
import {
  authNotConfigured,
  dbIndexOutOfRange,
  noProto,
  notInteger,
  notSupported,
  helloSyntaxError,
  badClientName,
  wrongPass,
  protocolVersionInvalid,
  wrongArity,
} from '../../protocol/errors.js';
import type { Dispatch, Shape } from '../dispatch.js';
import type { RequestView } from '../request.js';
import { globMatcher } from '../glob.js';

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
        .with('client|info', 'client|list', () => verbatim(`${d.client.describe()}\n`, d.client.resp3))
        .with('client|setinfo', () => OK)
        .otherwise((name) => notSupported(name)),
    );
  },
};

export const auth: Shape = {
  connectionLocal: true,
  dispatch(req, _spec, d) {
    if (req.argc === 2) return d.reply(authNotConfigured);
    d.reply(req.argString(1) === 'default' ? OK : wrongPass);
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
        if (req.argString(i + 1) !== 'default') return d.reply(wrongPass);
        i += 2;
      } else if (option === 'setname' && i + 1 < req.argc) {
        if (!setName(d, req.argString(i + 1))) return d.reply(badClientName);
        i += 1;
      } else {
        return d.reply(helloSyntaxError(given));
      }
    }
    d.useProtocol(version === 3);
    d.reply(helloReply(d));
  },
};

// What benchmark tools and clients ask at connect time; jupiter keeps no data on disk.
const CONFIG_VALUES: Record<string, string> = { save: '', appendonly: 'no', databases: '1' };

export function configGet(req: RequestView, resp3: boolean): Uint8Array {
  const found = new Map<string, string>();
  for (let i = 2; i < req.argc; i++) {
    // Redis matches parameter names case-insensitively.
    const matches = globMatcher(req.argString(i), { nocase: true });
    for (const [k, v] of Object.entries(CONFIG_VALUES)) if (matches(k)) found.set(k, v);
  }
  return map([...found].map(([k, v]) => [bulk(k), bulk(v)] as const), resp3);
}
