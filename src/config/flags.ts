// The serve command's flags that set options, each with its option's path: serve builds its layer
// of the configuration from this table, and the configuration reference names each option's flag.
export const SERVE_FLAGS = {
  port: 'port',
  bind: 'bind',
  nodes: 'nodes',
  nodeActors: 'nodeActors',
  workers: 'workers',
  metricsPort: 'metrics.port',
  logLevel: 'log.level',
  eject: 'eject.enabled',
  ejectOnDown: 'eject.onDown',
} as const;

export type ServeFlagKey = keyof typeof SERVE_FLAGS;

/** The flag as typed: commander's camelCase key in kebab case (`metricsPort` is `--metrics-port`). */
export const flagText = (key: ServeFlagKey): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The nested options the given flags set (flags left out set nothing). */
export function optionsFromFlags(flags: Partial<Record<ServeFlagKey, unknown>>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, path] of Object.entries(SERVE_FLAGS) as [ServeFlagKey, string][]) {
    const value = flags[key];
    if (value === undefined) continue;
    const parts = path.split('.');
    let at = options;
    for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]] = value;
  }
  return options;
}
