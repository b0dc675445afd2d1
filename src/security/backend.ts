// jupiter's own credentials on the nodes (backend.username, backend.password): sent by every
// connection jupiter opens to a node (the NodeActors' links, the control-plane clients, probes)
// and by MIGRATE to the node it moves keys to. Clients' own AUTH never reaches a node.
import { encodeCommand } from '../protocol/encode.js';

export interface NodeCredentials {
  /** Unset: the node's default user. */
  readonly username?: string;
  readonly password: string;
}

export function credentialsOf(backend: { readonly username?: string; readonly password?: string }): NodeCredentials | undefined {
  if (backend.password === undefined) return undefined;
  return backend.username === undefined ? { password: backend.password } : { username: backend.username, password: backend.password };
}

/** ioredis options for the credentials. */
export const ioredisCredentials = (c: NodeCredentials | undefined): { username?: string; password?: string } =>
  c === undefined ? {} : c.username === undefined ? { password: c.password } : { username: c.username, password: c.password };

/** The AUTH command a new link to a node sends first. */
export const authCommand = (c: NodeCredentials): Buffer => encodeCommand(c.username === undefined ? ['AUTH', c.password] : ['AUTH', c.username, c.password]);

/** MIGRATE's own AUTH option, for the node it moves keys to. */
export const migrateAuth = (c: NodeCredentials | undefined): string[] =>
  c === undefined ? [] : c.username === undefined ? ['AUTH', c.password] : ['AUTH2', c.username, c.password];
