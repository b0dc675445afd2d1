// jupiter's own credentials on the nodes (backend.username, backend.password): sent by every
// connection jupiter opens to a node (the NodeActors' links, the control-plane clients, probes)
// and by MIGRATE to the node it moves keys to. Clients' own AUTH never reaches a node.
import type { RedisOptions } from 'ioredis';
import { encodeCommand } from '../protocol/encode.js';
import { connectOptions, type NodeTls } from './tls.js';

export interface NodeCredentials {
  /** Unset: the node's default user. */
  readonly username?: string;
  readonly password: string;
}

export function credentialsOf(backend: { readonly username?: string; readonly password?: string }): NodeCredentials | undefined {
  if (backend.password === undefined) return undefined;
  return backend.username === undefined ? { password: backend.password } : { username: backend.username, password: backend.password };
}

/** How jupiter reaches the nodes: its credentials and TLS, either unset. */
export interface NodeAccess {
  readonly credentials?: NodeCredentials;
  readonly tls?: NodeTls;
}

/** ioredis options for a connection of jupiter's own to the node at host (control plane, probes). */
export function nodeClientOptions(host: string, access: NodeAccess): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const { credentials: c, tls } = access;
  return {
    ...(c === undefined ? {} : c.username === undefined ? { password: c.password } : { username: c.username, password: c.password }),
    ...(tls === undefined ? {} : { tls: connectOptions(tls, host) }),
  };
}

/** The AUTH command a new link to a node sends first. */
export const authCommand = (c: NodeCredentials): Buffer => encodeCommand(c.username === undefined ? ['AUTH', c.password] : ['AUTH', c.username, c.password]);

/** MIGRATE's own AUTH option, for the node it moves keys to. */
export const migrateAuth = (c: NodeCredentials | undefined): string[] =>
  c === undefined ? [] : c.username === undefined ? ['AUTH', c.password] : ['AUTH2', c.username, c.password];
