// Splits an inline request line into arguments with Redis's quoting rules: "..." with
// \n \r \t \b \a \\ \" \xHH escapes, '...' with only \' escaped, and a closing quote that
// must be followed by a space or the end. Returns null for unbalanced quotes.
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };
const isSpace = (c: string): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f';
// An unquoted word ends only at these (a narrower set than the spaces skipped between words).
const endsWord = (c: string): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\0';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

export function splitInline(line: string): string[] | null {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line[i])) i++;
    // A NUL ends the arguments, as splitting a C string would (found by the fuzz test: the word
    // loop stopped at it without moving on, and pushed empty words until the heap ran out).
    // redis-server 7.0 instead never sees the newline past a NUL and waits for more input.
    if (i >= n || line[i] === '\0') return args;
    let current = '';
    let quote: '"' | "'" | null = null;
    for (;;) {
      const c = line[i];
      if (quote === '"') {
        if (i >= n) return null;
        if (c === '\\' && line[i + 1] === 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
          current += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          current += ESCAPES[line[i]] ?? line[i];
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          i++;
          break;
        } else {
          current += c;
        }
      } else if (quote === "'") {
        if (i >= n) return null;
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          current += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          i++;
          break;
        } else {
          current += c;
        }
      } else if (i >= n || endsWord(c)) {
        break;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else {
        current += c;
      }
      i++;
    }
    args.push(current);
  }
}
