// ready(): resolves true once every member of the ring is up (what GET /readyz answers 200 to),
// false if that has not happened within timeoutMs. The nodes connect in the background after
// start, so an application that wants its first request served by every node waits for this.
import type { MembershipStatus } from '../actors/messages.js';

interface Watchable {
  status(): Promise<MembershipStatus>;
  /** Subscribes to node-up; returns (or resolves with) the function that stops it. */
  onNodeUp(listener: () => void): (() => unknown) | Promise<() => unknown>;
}

export async function whenReady(proxy: Watchable, timeoutMs: number): Promise<boolean> {
  let settle!: (ready: boolean) => void;
  const outcome = new Promise<boolean>((resolve) => (settle = resolve));
  const allUp = async (): Promise<void> => {
    const { nodes } = await proxy.status();
    if (nodes.every((n) => n.up)) settle(true);
  };
  // Subscribed before the first look, so a node coming up in between is not missed.
  const off = await proxy.onNodeUp(() => void allUp().catch(() => {}));
  const timer = setTimeout(() => settle(false), timeoutMs);
  void allUp().catch(() => {});
  try {
    return await outcome;
  } finally {
    clearTimeout(timer);
    await off();
  }
}
