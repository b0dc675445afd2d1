// Client compatibility results: each client test records which checks passed and writes one JSON
// line per client into test/clients/results/; scripts/compat-table.ts renders README's table from them.
import { it } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const resultsDir = fileURLToPath(new URL('../clients/results/', import.meta.url));

export interface CompatResult {
  readonly client: string;
  readonly version: string;
  /** Order in the table (the test files' order). */
  readonly order: number;
  readonly checks: { readonly name: string; readonly ok: boolean }[];
}

export class CompatRecorder {
  private readonly checks: { name: string; ok: boolean }[] = [];

  constructor(
    readonly client: string,
    readonly version: string,
    private readonly order: number,
  ) {}

  /** A node:test case whose outcome is also recorded as one check of this client. */
  it(name: string, fn: () => Promise<void>): void {
    it(name, async () => {
      try {
        await fn();
        this.record(name, true);
      } catch (error) {
        this.record(name, false);
        throw error;
      }
    });
  }

  record(name: string, ok: boolean): void {
    this.checks.push({ name, ok });
  }

  /** Writes the result line; call from after(). */
  write(): void {
    mkdirSync(resultsDir, { recursive: true });
    const result: CompatResult = { client: this.client, version: this.version, order: this.order, checks: this.checks };
    const file = path.join(resultsDir, `${this.client.replace(/[^a-z0-9.-]+/gi, '_')}.json`);
    writeFileSync(file, `${JSON.stringify(result)}\n`);
  }
}
