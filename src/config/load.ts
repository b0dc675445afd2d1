// Loading and validating configuration: defaults, then environment, then a YAML file, then
// command-line flags, each over the last. A mistake is reported as one clear line per problem.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, environment, type Config, type ConfigInput } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function validateConfig(input: unknown): Config {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge where later layers win; arrays are replaced, not joined. */
export function layer(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const l of layers) {
    for (const [k, v] of Object.entries(l)) {
      if (v === undefined) continue;
      out[k] = isObject(v) && isObject(out[k]) ? layer(out[k] as Record<string, unknown>, v) : v;
    }
  }
  return out;
}

export function fromEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  for (const [name, apply] of Object.entries(environment)) {
    const value = env[name];
    if (value !== undefined && value !== '') out = layer(out, apply(value));
  }
  return out;
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${path}: cannot read (${(error as Error).message})`]);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError([`${path}: not valid YAML (${(error as Error).message.split('\n')[0]})`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isObject(parsed)) throw new ConfigError([`${path}: expected a mapping of options at the top level`]);
  return parsed;
}

export function loadConfig(options: { file?: string; flags?: Partial<ConfigInput>; env?: NodeJS.ProcessEnv }): Config {
  const file = options.file ? readConfigFile(options.file) : {};
  return validateConfig(layer(fromEnvironment(options.env), file, (options.flags ?? {}) as Record<string, unknown>));
}
