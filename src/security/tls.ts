// TLS towards the nodes (backend.tls) and on the front listener (tls): the files named in the
// configuration, read once at start into the options node:tls takes.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type tls from 'node:tls';
import type { Config } from '../config/schema.js';

/** What a connection to a node needs; plain data, so it crosses to a worker thread. */
export interface NodeTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly servername?: string;
  readonly rejectUnauthorized: boolean;
}

const read = (file: string | undefined, option: string): Buffer | undefined => {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`${option}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
};

/** `option`: where the settings are, for errors (backend.tls, or a node's tls). */
export function nodeTls(config: Config['backend']['tls'], option = 'backend.tls'): NodeTls | undefined {
  if (config === undefined) return undefined;
  return {
    ca: read(config.ca, `${option}.ca`),
    cert: read(config.cert, `${option}.cert`),
    key: read(config.key, `${option}.key`),
    servername: config.servername,
    rejectUnauthorized: config.rejectUnauthorized ?? true,
  };
}

/** node:tls connect options for a node at host (SNI only for a name, as TLS allows). */
export function connectOptions(t: NodeTls, host: string): tls.ConnectionOptions {
  const servername = t.servername ?? (isIP(host) === 0 ? host : undefined);
  return { ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: t.rejectUnauthorized, ...(servername === undefined ? {} : { servername }) };
}

/** node:tls server options for the front listener, or undefined for plain TCP. */
export function listenerTls(config: Config['tls']): tls.TlsOptions | undefined {
  if (config === undefined) return undefined;
  return {
    cert: read(config.cert, 'tls.cert'),
    key: read(config.key, 'tls.key'),
    ca: read(config.ca, 'tls.ca'),
    requestCert: config.clientCertificates,
    rejectUnauthorized: config.clientCertificates,
  };
}
