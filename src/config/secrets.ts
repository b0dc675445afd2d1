// Secrets kept in files (auth.requirepassFile, auth.users[].passwordFile, backend.passwordFile):
// the first line of each is read at load, so a mounted secret need not appear in the
// configuration, its environment or its flags.
import { readFileSync } from 'node:fs';
import type { Config } from './schema.js';

export interface SecretProblem {
  readonly path: readonly PropertyKey[];
  readonly text: string;
}

/** The configuration with every *File secret read into its option, or what could not be read. */
export function readSecrets(config: Config): { config: Config; problems: SecretProblem[] } {
  const problems: SecretProblem[] = [];
  const read = (file: string, path: PropertyKey[]): string | undefined => {
    try {
      const secret = readFileSync(file, 'utf8').split(/\r?\n/)[0];
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
  return { config: { ...config, auth: { ...auth, requirepass, users }, backend: { ...backend, password } }, problems };
}
