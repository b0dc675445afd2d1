// Entry of the worker thread that startInWorker runs: the whole actor system (listener, actors,
// node links) on this thread's event loop, driven by the host through comlink.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { nodeEndpoint } from './endpoint.js';
import { createProxy, type Proxy } from '../actors/system.js';
import type { ThreadApi } from './api.js';

let proxy: Proxy | null = null;

/** Runs an extension module's default export on the proxy (ThreadStartOptions.extensions). */
async function extend(running: Proxy, module: string): Promise<void> {
  const url = module.startsWith('file:') ? module : pathToFileURL(path.resolve(module)).href;
  const loaded = (await import(url)) as { default?: unknown };
  if (typeof loaded.default !== 'function') throw new Error(`extension ${module} has no default export function (proxy) => ...`);
  await (loaded.default as (proxy: Proxy) => unknown)(running);
}
const subscriptions = new Map<number, () => void>();
let nextSubscription = 1;

function running(): Proxy {
  if (proxy === null) throw new Error('the proxy in this worker has not started');
  return proxy;
}

const api: ThreadApi = {
  async start(config, options) {
    if (proxy !== null) throw new Error('the proxy in this worker has already started');
    proxy = await createProxy(config, options);
    try {
      for (const module of options.extensions ?? []) await extend(proxy, module);
    } catch (error) {
      await proxy.stop(0);
      proxy = null;
      throw error;
    }
    return { port: proxy.port, config: proxy.config };
  },
  status: () => running().status(),
  ring: () => running().ring(),
  addNode: (address, weight, name) => running().addNode(address, weight, name),
  removeNode: (node) => running().removeNode(node),
  setWeight: (node, weight) => running().setWeight(node, weight),
  replaceNode: (name, address) => running().replaceNode(name, address),
  setNodes: (nodes) => running().setNodes(nodes),
  async on(event, listener) {
    const id = nextSubscription++;
    // The listener is the host's function behind a comlink proxy: calling it posts a message.
    subscriptions.set(id, running().on(event, (data) => void listener(data)));
    return id;
  },
  async off(subscription) {
    subscriptions.get(subscription)?.();
    subscriptions.delete(subscription);
  },
  async stop(drainMs) {
    for (const off of subscriptions.values()) off();
    subscriptions.clear();
    await running().stop(drainMs);
  },
};

Comlink.expose(api, nodeEndpoint(parentPort!));
