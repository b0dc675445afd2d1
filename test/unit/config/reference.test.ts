// The configuration reference names every option the schema has, every environment variable and
// every serve flag, each once and on its own option's row.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceRows, renderReference } from '../../../src/config/reference.js';
import { configSchema, environment } from '../../../src/config/schema.js';
import { SERVE_FLAGS, flagText, optionsFromFlags, type ServeFlagKey } from '../../../src/config/flags.js';

describe('configuration reference', () => {
  const rows = referenceRows();

  it('has a row for every option the schema accepts, each with a description', () => {
    const defaults = configSchema.parse({ nodes: ['127.0.0.1:1'] });
    // Every leaf of the parsed defaults (optional options unset are not leaves) has its row.
    const leaves = (value: unknown, prefix: string): string[] =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.entries(value).flatMap(([k, v]) => leaves(v, `${prefix}${k}.`))
        : [prefix.slice(0, -1)];
    const options = rows.map((r) => r.option.replaceAll('`', ''));
    for (const leaf of leaves(defaults, '')) assert.ok(options.includes(leaf), `${leaf} has no row`);
    for (const optional of ['admin.password', 'metrics.port', 'tracing.sampleRatio', 'tracing.endpoint']) assert.ok(options.includes(optional), optional);
    assert.equal(new Set(options).size, options.length);
    for (const r of rows) assert.ok(r.description.length > 10, `${r.option} has no description`);
  });

  it('names every environment variable and serve flag on the row of the option it sets', () => {
    for (const [name, { option }] of Object.entries(environment)) {
      assert.equal(rows.find((r) => r.option === `\`${option}\``)?.env, `\`${name}\``, name);
    }
    for (const [key, option] of Object.entries(SERVE_FLAGS)) {
      assert.equal(rows.find((r) => r.option === `\`${option}\``)?.flag, `\`${flagText(key as ServeFlagKey)}\``, key);
    }
    const workers = rows.find((r) => r.option === '`workers`')!;
    assert.deepEqual([workers.type, workers.default, workers.env, workers.flag], ['integer, 1 to 64', '`1`', '`JUPITER_WORKERS`', '`--workers`']);
    assert.match(renderReference(), /^\| option \| type \| default \| environment \| flag \| what it does \|\n\|---/);
  });

  it('serve flags set the options the table says', () => {
    assert.deepEqual(optionsFromFlags({ metricsPort: 9121, eject: true, ejectOnDown: 'miss', port: undefined }), {
      metrics: { port: 9121 },
      eject: { enabled: true, onDown: 'miss' },
    });
  });
});
