// What an embedding application can hear from a running proxy, through Proxy.on().

export interface ProxyEvents {
  /** A node's shared connection is open. */
  readonly 'node-up': { readonly node: string };
  /** A node's shared connection was lost or could not be opened. */
  readonly 'node-down': { readonly node: string; readonly reason?: string };
  /** The membership changed state: at start, at each step of a change (prepare, handoff, stable). */
  readonly 'ring-changed': { readonly epoch: number; readonly members: number };
  /** This proxy's migrator moved more keys (`total` is an estimate made when it began). */
  readonly 'handoff-progress': { readonly epoch: number; readonly moved: number; readonly total: number };
}

export type ProxyEventName = keyof ProxyEvents;
export type ProxyEvent = { [E in ProxyEventName]: { readonly event: E; readonly data: ProxyEvents[E] } }[ProxyEventName];

/** Listeners by event; a listener that throws is not allowed to stop the others. */
export class ProxyEventHub {
  private readonly listeners = new Map<ProxyEventName, Set<(data: never) => void>>();

  constructor(private readonly failed: (error: unknown) => void) {}

  on<E extends ProxyEventName>(event: E, listener: (data: ProxyEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener as (data: never) => void);
    return () => void set.delete(listener as (data: never) => void);
  }

  emit(e: ProxyEvent): void {
    for (const listener of this.listeners.get(e.event) ?? []) {
      try {
        (listener as (data: ProxyEvent['data']) => void)(e.data);
      } catch (error) {
        this.failed(error);
      }
    }
  }
}
