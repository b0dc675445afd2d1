// Loading and validating configuration: defaults, then environment, then a YAML file, then
// command-line flags, each over the last. A mistake is reported as one clear line per problem.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, environment, type Config, type ConfigInput } from './schema.js';
import { readSecrets } from './secrets.js';
import { SERVE_FLAGS, flagText, type ServeFlagKey } from './flags.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** Where a layer's values came from, named in problems so the user knows what to fix. */
export interface Source {
  readonly values: Record<string, unknown>;
  readonly describe: (path: Path) => string;
}

export function validateConfig(input: unknown, sources: readonly Source[] = []): Config {
  const result = configSchema.safeParse(input, { reportInput: true });
  if (result.success) {
    const { config, problems } = readSecrets(result.data);
    if (problems.length === 0) return config;
    throw new ConfigError(problems.map(({ path, text }) => `${showPath(path)}: ${text}`));
  }
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, []));
  throw new ConfigError(problems.map(({ path, text }) => `${showPath(path)}: ${text}${origin(path, sources)}`));
}

function describeIssue(issue: Issue, base: Path): { path: Path; text: string }[] {
  const path = [...base, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], text: 'unknown option' }));
    case 'invalid_union': {
      // Report the alternative the value was meant for: the one that accepted its type.
      const meant = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (meant.length === 1) return meant[0].flatMap((i) => describeIssue(i, path));
      return [{ path, text: `${issue.message}${got(issue)}` }];
    }
    case 'invalid_type':
      if (!issue.message.startsWith('Invalid input')) return [{ path, text: issue.message }];
      if (issue.input === undefined) return [{ path, text: 'required' }];
      return [{ path, text: `expected ${issue.expected}${got(issue)}` }];
    default:
      return [{ path, text: `${issue.message.replace(/^(Invalid (input|option)|Too (big|small)): /, '')}${got(issue)}` }];
  }
}

function got(issue: Issue): string {
  const input = issue.input;
  if (input === undefined || typeof input === 'object') return '';
  return `, got ${JSON.stringify(input)}`;
}

function showPath(path: Path): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

// True when the layer sets the value at path, or a value above it (such as a "host:port" string).
function sets(values: unknown, path: Path): boolean {
  let v = values;
  for (const key of path) {
    if (v === undefined) return false;
    if (typeof v !== 'object' || v === null) return true;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v !== undefined;
}

// The last layer that set the value wins the merge, so it is the one to blame.
function origin(path: Path, sources: readonly Source[]): string {
  for (let i = sources.length - 1; i >= 0; i--) {
    if (sets(sources[i].values, path)) return ` (${sources[i].describe(path)})`;
  }
  return '';
}

const optionPath = (path: Path): string => path.filter((p) => typeof p === 'string').join('.');
// A flag sets a whole option (--nodes sets every node), so it is named by the path above any index,
// as the serve flags' table names it.
function flagName(path: Path): string {
  const index = path.findIndex((p) => typeof p === 'number');
  const option = optionPath(index === -1 ? path : path.slice(0, index));
  const key = (Object.keys(SERVE_FLAGS) as ServeFlagKey[]).find((k) => SERVE_FLAGS[k] === option);
  return key === undefined ? `--${option}` : flagText(key);
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
  for (const [name, { option, parse }] of Object.entries(environment)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const nested = option
      .split('.')
      .reduceRight<unknown>((inner, key) => ({ [key]: inner }), parse(value)) as Record<string, unknown>;
    out = layer(out, nested);
  }
  return out;
}

function environmentVariable(path: Path): string {
  const option = optionPath(path);
  const found = Object.entries(environment).find(([, e]) => option === e.option || option.startsWith(`${e.option}.`));
  return found ? `from ${found[0]}` : 'from the environment';
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

/**
 * The configuration from, lowest first: defaults, JUPITER_* environment variables, the YAML file,
 * then flags (option values as the CLI parsed them; a problem with one is named as its --flag).
 */
export function loadConfig(options: { file?: string; flags?: Partial<ConfigInput>; env?: NodeJS.ProcessEnv }): Config {
  const sources: Source[] = [
    { values: fromEnvironment(options.env), describe: environmentVariable },
    { values: options.file ? readConfigFile(options.file) : {}, describe: () => `in ${options.file}` },
    { values: (options.flags ?? {}) as Record<string, unknown>, describe: (path) => `from ${flagName(path)}` },
  ];
  return validateConfig(layer(...sources.map((s) => s.values)), sources);
}
