// The package's public surface: embed the proxy, load its configuration, or build on its actor runtime and ring.
export { createProxy, type Proxy, type ProxyOptions } from './actors/system.js';
export type { Config, ConfigInput } from './config/schema.js';
export { ConfigError, loadConfig } from './config/load.js';
export { ActorRuntime, type Actor, type ActorContext, type Address, type Behavior, type Runtime } from './actors/runtime.js';
export { Ring, type Member } from './ring/ring.js';
