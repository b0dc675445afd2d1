// The package's public surface: embed the proxy, load its configuration, or build on its actor runtime and ring.
export { createProxy, MembershipChangeError, type Proxy, type ProxyOptions, type RingInfo, type RingMember } from './actors/system.js';
export { startInWorker, type WorkerProxy } from './embed/in-worker.js';
export type { ProxyEventName, ProxyEvents } from './actors/events.js';
export { BlobStore, type BlobStoreOptions, type BlobWriteOptions } from './blob/store.js';
export type { BlobBackend } from './blob/backend.js';
export type { Manifest as BlobManifest } from './blob/layout.js';
export { BlobError, BlobChecksumError, BlobIncompleteError, BlobNotFoundError } from './blob/errors.js';
export type { Config, ConfigInput, NodeInput } from './config/schema.js';
export { ConfigError, loadConfig } from './config/load.js';
export { ActorRuntime, type Actor, type ActorContext, type Address, type Behavior, type Runtime } from './actors/runtime.js';
export type { AdminAnswer, AdminCommand, Tapped, TappedRequest } from './actors/extensions.js';
export { Ring, type Member } from './ring/ring.js';
