// Secrets kept in files (auth.requirepassFile, auth.users[].passwordFile, backend.passwordFile,
// a node object's passwordFile):
// the first line of each is read at load, so a mounted secret need not appear in the
// configuration, its environment or its flags.
import { readFileSync } from 'node:fs';
import type { Config } from './schema.js';

export interface SecretProblem {
  readonly path: readonly PropertyKey[];
  readonly text: string;
}

/** A secret file's first line (an unreadable file throws). */
export const readSecretFile = (file: string): string => readFileSync(file, 'utf8').split(/\r?\n/)[0];

type Read = (file: string, path: PropertyKey[]) => string | undefined;

/** The configuration with every *File secret read into its option, or what could not be read. */
export function readSecrets(config: Config): { config: Config; problems: SecretProblem[] } {
  const problems: SecretProblem[] = [];
  const read: Read = (file, path) => {
    try {
      const secret = readSecretFile(file);
      if (secret === '') problems.push({ path, text: `${file} is empty` });
      return secret;
    } catch (error) {
      problems.push({ path, text: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      return undefined;
    }
  };
  const { auth, backend } = config;
  const requirepass = auth.requirepassFile === undefined ? auth.requirepass : read(auth.requirepassFile, ['auth', 'requirepassFile']);
  const users = auth.users.map((u, i) => (u.passwordFile === undefined ? u : { ...u, password: read(u.passwordFile, ['auth', 'users', i, 'passwordFile']) }));
  const password = backend.passwordFile === undefined ? backend.password : read(backend.passwordFile, ['backend', 'passwordFile']);
  const nodes = nodesWithSecrets(config.nodes, read);
  return { config: { ...config, nodes, auth: { ...auth, requirepass, users }, backend: { ...backend, password } }, problems };
}

/** Nodes with their passwordFile read (a list given to setNodes; the config's own go through readSecrets). */
export function nodesWithSecrets(nodes: Config['nodes'], read: Read = readSecretFile): Config['nodes'] {
  return nodes.map((n, i) => (n.passwordFile === undefined ? n : { ...n, password: read(n.passwordFile, ['nodes', i, 'passwordFile']) }));
}

const HIDDEN = '(hidden)';
const hide = <T extends { password?: string }>(o: T): T => (o.password === undefined ? o : { ...o, password: HIDDEN });

/** The configuration as an embedding application sees it (proxy.config): every password hidden. */
export function withoutSecrets(config: Config): Config {
  return {
    ...config,
    nodes: config.nodes.map(hide),
    auth: { ...config.auth, requirepass: config.auth.requirepass === undefined ? undefined : HIDDEN, users: config.auth.users.map(hide) },
    backend: hide(config.backend),
  };
}
