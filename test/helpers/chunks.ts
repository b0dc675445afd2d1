/**
 * Splits a buffer at the given offsets (any order), keeping empty chunks: a socket never delivers
 * them, but a streaming parser must not break on them either.
 */
export function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const sorted = [...cuts].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}
