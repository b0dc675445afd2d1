// The control surface of a proxy running in a worker thread (startInWorker): what the host calls
// across the thread boundary, through comlink. Everything here is cloneable: listeners travel as
// comlink proxies, and a subscription is undone by its number.
import type { ConfigInput, NodeInput } from '../config/schema.js';
import type { Config } from '../config/schema.js';
import type { MembershipStatus } from '../actors/messages.js';
import type { RingInfo } from '../actors/system.js';
import type { ProxyEventName, ProxyEvents } from '../actors/events.js';

export interface ThreadStartOptions {
  /** As createProxy's: install jupiter's own OpenTelemetry SDK in the worker thread. */
  readonly installTracing?: boolean;
  /**
   * Modules (paths or file: URLs) the worker imports once the proxy has started: each one's default
   * export is called with the proxy's handle there, so it can spawn actors on `proxy.runtime`, add
   * them with `tap()` and `addAdminCommand()` (actors cannot cross threads; their code can).
   */
  readonly extensions?: readonly string[];
}

/** What the worker thread exposes. */
export interface ThreadApi {
  start(config: ConfigInput, options: ThreadStartOptions): Promise<{ port: number; config: Config }>;
  status(): Promise<MembershipStatus & { clients: number }>;
  ring(): Promise<RingInfo>;
  addNode(address: string, weight?: number, name?: string): Promise<void>;
  removeNode(node: string): Promise<void>;
  setWeight(node: string, weight: number): Promise<void>;
  replaceNode(name: string, address: string): Promise<void>;
  setNodes(nodes: readonly NodeInput[]): Promise<void>;
  /** `listener` is called with the data of `event` (comlink's remote types cannot carry the pairing). */
  on(event: ProxyEventName, listener: (data: ProxyEvents[ProxyEventName]) => void): Promise<number>;
  off(subscription: number): Promise<void>;
  stop(drainMs?: number): Promise<void>;
}
