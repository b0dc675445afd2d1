// The configuration reference: every option of the schema with its type, default, environment
// variable, serve flag and description, as a markdown table (README "Configuration").
import type { z } from 'zod';
import { configSchema, environment } from './schema.js';
import { SERVE_FLAGS, flagText, type ServeFlagKey } from './flags.js';

export interface ReferenceRow {
  option: string;
  type: string;
  default: string;
  env: string;
  flag: string;
  description: string;
}

// zod's internals name each wrapper and type; the reference only needs these few.
type Schema = z.ZodType & { description?: string; _zod: { def: Record<string, unknown> & { type: string } } };

/** Peels default/prefault/optional off a schema: the inner type, its default, its description. */
function unwrap(schema: Schema): { inner: Schema; defaultValue?: unknown; optional: boolean; description?: string } {
  let inner = schema;
  let defaultValue: unknown;
  let optional = false;
  let description = schema.description;
  for (;;) {
    const def = inner._zod.def;
    if (def.type === 'default' || def.type === 'prefault') defaultValue ??= def.defaultValue;
    else if (def.type === 'optional') optional = true;
    else break;
    inner = def.innerType as Schema;
    description ??= inner.description;
  }
  return { inner, defaultValue, optional, description };
}

function typeOf(schema: Schema): string {
  const def = schema._zod.def;
  const s = schema as unknown as { minValue?: number | null; maxValue?: number | null; isInt?: boolean; options?: string[] };
  switch (def.type) {
    case 'number': {
      const noun = s.isInt ? 'integer' : 'number';
      const min = s.minValue ?? null;
      const max = s.maxValue !== null && s.maxValue !== undefined && Number.isFinite(s.maxValue) && Math.abs(s.maxValue) < Number.MAX_SAFE_INTEGER ? s.maxValue : null;
      if (min !== null && max !== null) return `${noun}, ${min} to ${max}`;
      if (min !== null && min > Number.MIN_SAFE_INTEGER) return `${noun}, at least ${min}`;
      return noun;
    }
    case 'enum':
      return s.options!.map((o) => `\`${o}\``).join(' \\| ');
    case 'boolean':
      return 'boolean';
    case 'string':
      return def.format === 'url' ? 'http(s) URL' : 'string';
    case 'array':
      return 'list';
    default:
      return def.type;
  }
}

const shown = (value: unknown): string => (value === undefined ? '' : `\`${typeof value === 'string' ? JSON.stringify(value) : String(value)}\``);

function rows(shape: Record<string, Schema>, prefix: string): ReferenceRow[] {
  const envOf = new Map(Object.entries(environment).map(([name, e]) => [e.option, name]));
  const flagOf = new Map(Object.entries(SERVE_FLAGS).map(([key, option]) => [option as string, flagText(key as ServeFlagKey)]));
  return Object.entries(shape).flatMap(([key, field]) => {
    const option = `${prefix}${key}`;
    const { inner, defaultValue, optional, description } = unwrap(field);
    if (inner._zod.def.type === 'object') {
      // A section: its own options, each on a row (its default is theirs).
      return rows((inner as unknown as { shape: Record<string, Schema> }).shape, `${option}.`);
    }
    const env = envOf.get(option);
    const flag = flagOf.get(option);
    return [
      {
        option: `\`${option}\``,
        type: typeOf(inner),
        default: defaultValue !== undefined ? shown(defaultValue) : optional ? 'unset' : 'required',
        env: env ? `\`${env}\`` : '',
        flag: flag ? `\`${flag}\`` : '',
        description: description ?? '',
      },
    ];
  });
}

/** One row per option (a section's options each on their own row). */
export const referenceRows = (): ReferenceRow[] => rows(configSchema.shape as unknown as Record<string, Schema>, '');

export function renderReference(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| option | type | default | environment | flag | what it does |', '|---|---|---|---|---|---|'];
  for (const r of referenceRows()) {
    lines.push(`| ${r.option} | ${r.type} | ${r.default} | ${r.env} | ${r.flag} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}
