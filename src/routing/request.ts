// What a request shape sees of a request: its bytes and where each argument lies. The parser is
// one such view (zero-copy); a request whose trailing options were stripped is re-encoded into another.
import { encodeWithPositions } from '../protocol/encode.js';

export interface RequestView {
  readonly raw: Buffer;
  readonly argc: number;
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  argString(i: number): string;
  argBuffer(i: number): Buffer;
  argStrings(): string[];
}

export class EncodedRequest implements RequestView {
  readonly raw: Buffer;
  readonly argc: number;
  readonly starts: number[];
  readonly ends: number[];

  constructor(readonly args: readonly string[]) {
    ({ raw: this.raw, starts: this.starts, ends: this.ends } = encodeWithPositions(args));
    this.argc = args.length;
  }

  argString(i: number): string {
    return this.args[i];
  }

  argBuffer(i: number): Buffer {
    return this.raw.subarray(this.starts[i], this.ends[i]);
  }

  argStrings(): string[] {
    return this.args.slice();
  }
}

/** The command as the client typed it, subcommand included (`CONFIG SET`), for jupiter's own errors. */
export function typedName(req: RequestView, subcommand: boolean): string {
  return subcommand && req.argc > 1 ? `${req.argString(0)} ${req.argString(1)}` : req.argString(0);
}
