// How the admin and blob commands sign in to a proxy that requires a password (auth.requirepass,
// auth.users): --user and --auth, or REDISCLI_AUTH as redis-cli takes it. The clients speak RESP2,
// so a missing password is told as NOAUTH on the first command rather than as a refused HELLO 3.
import type { RedisOptions } from 'ioredis';

export interface SignInFlags {
  readonly user?: string;
  readonly auth?: string;
}

/** ioredis options that send AUTH [user] password on connect, when a password is given. */
export function signInOptions(flags: SignInFlags): Pick<RedisOptions, 'username' | 'password'> {
  const password = flags.auth ?? process.env.REDISCLI_AUTH;
  if (password === undefined || password === '') return {};
  return flags.user === undefined ? { password } : { username: flags.user, password };
}
