// Redis-style glob patterns (`*`, `?`, `[a-z]`, `[^a]`, `\x`), as CONFIG GET and the like take
// them, matched by picomatch with the bash extensions Redis does not have switched off.
import picomatch from 'picomatch';

export interface GlobOptions {
  readonly nocase?: boolean;
}

/**
 * A matcher for one pattern. Redis never refuses a pattern, so one that picomatch cannot compile
 * (beyond its length limit, say) matches nothing rather than failing the request.
 */
export function globMatcher(pattern: string, { nocase = false }: GlobOptions = {}): (text: string) => boolean {
  let matches: (text: string) => boolean;
  try {
    matches = picomatch(pattern, { nocase, dot: true, nobrace: true, noextglob: true, noglobstar: true, bash: true });
  } catch {
    return () => false;
  }
  // picomatch never matches an empty text; Redis does when the pattern is only stars.
  const onlyStars = /^\**$/.test(pattern);
  return (text) => (text === '' ? onlyStars : matches(text));
}
