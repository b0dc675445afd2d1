// startInWorker: the whole proxy in a worker thread of the host application, so that the host's
// own event loop (a long computation, a blocking call) never stalls the proxy's clients, and the
// proxy's hot path never competes with the host's code for the loop.
import * as Comlink from 'comlink';
import { nodeEndpoint } from './endpoint.js';
import { startThread } from '../actors/threads.js';
import type { Config, ConfigInput, NodeInput } from '../config/schema.js';
import type { MembershipStatus } from '../actors/messages.js';
import type { RingInfo } from '../actors/system.js';
import type { ProxyEventName, ProxyEvents } from '../actors/events.js';
import type { ThreadApi, ThreadStartOptions } from './api.js';
import { whenReady } from './ready.js';

/** The same control surface as createProxy's handle, each call crossing to the worker thread. */
export interface WorkerProxy {
  readonly port: number;
  readonly config: Config;
  status(): Promise<MembershipStatus & { clients: number }>;
  ring(): Promise<RingInfo>;
  addNode(address: string, weight?: number, name?: string): Promise<void>;
  removeNode(node: string): Promise<void>;
  setWeight(node: string, weight: number): Promise<void>;
  replaceNode(name: string, address: string): Promise<void>;
  setNodes(nodes: readonly NodeInput[]): Promise<void>;
  /** Calls `listener` (on the host's thread) on each such event; resolves with the function that stops it. */
  on<E extends ProxyEventName>(event: E, listener: (data: ProxyEvents[E]) => void): Promise<() => Promise<void>>;
  /** Resolves true once every member is up (nodes connect after start), false after timeoutMs. */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Drains and stops the proxy (every socket, its tracing), then ends the worker thread. */
  stop(drainMs?: number): Promise<void>;
}

export async function startInWorker(config: ConfigInput, options: ThreadStartOptions = {}): Promise<WorkerProxy> {
  const worker = startThread(import.meta.url, 'thread');
  const remote = Comlink.wrap<ThreadApi>(nodeEndpoint(worker));
  const end = async (): Promise<void> => {
    remote[Comlink.releaseProxy]();
    await worker.terminate();
  };
  let started: { port: number; config: Config };
  try {
    started = await remote.start(config, options);
  } catch (error) {
    await end();
    throw error;
  }
  let stopping: Promise<void> | null = null;
  const on = async <E extends ProxyEventName>(event: E, listener: (data: ProxyEvents[E]) => void): Promise<() => Promise<void>> => {
    // A comlink proxy of the listener: the worker's calls come back here as messages.
    const subscription = await remote.on(event, Comlink.proxy(listener as (data: ProxyEvents[ProxyEventName]) => void));
    return () => remote.off(subscription);
  };
  return {
    port: started.port,
    config: started.config,
    status: () => remote.status(),
    ring: () => remote.ring(),
    addNode: (address, weight, name) => remote.addNode(address, weight, name),
    removeNode: (node) => remote.removeNode(node),
    setWeight: (node, weight) => remote.setWeight(node, weight),
    replaceNode: (name, address) => remote.replaceNode(name, address),
    setNodes: (nodes) => remote.setNodes(nodes),
    on,
    ready: (timeoutMs = 5000) => whenReady({ status: () => remote.status(), onNodeUp: (listener) => on('node-up', listener) }, timeoutMs),
    stop(drainMs) {
      stopping ??= remote.stop(drainMs).finally(end);
      return stopping;
    },
  };
}
