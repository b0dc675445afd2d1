// One NodeActor in an actor runtime of the test's own, against a real node: requests go in as
// Route messages from a stand-in connection actor, which resolves each request's reply.
import { ActorRuntime, type Address } from '../../src/actors/runtime.js';
import { nodeBehavior, type NodeOptions } from '../../src/actors/node.js';
import type { NodeHealth, NodeMessage } from '../../src/actors/messages.js';
import { addToBatch, releaseBatch, takeBatch, type ReplyBatch } from '../../src/actors/batch.js';
import { encodeCommand } from './resp.js';

export class NodeHarness {
  readonly runtime: ActorRuntime;
  readonly node: Address;
  readonly crashes: Error[] = [];
  /** Every up and down the NodeActor reported, in order. */
  readonly health: NodeHealth[] = [];
  private healthWaiters: (() => void)[] = [];
  private readonly client: Address;
  private nextSlot = 0;
  private readonly waiting = new Map<number, (reply: string) => void>();

  /** `place` starts the NodeActor somewhere else than this runtime (in a worker thread, say). */
  constructor(
    options: Omit<NodeOptions, 'health'>,
    place?: (runtime: ActorRuntime, options: NodeOptions) => Address,
  ) {
    this.runtime = new ActorRuntime({ onCrash: (_name, error) => this.crashes.push(error as Error) });
    const monitor = this.runtime.spawn<NodeHealth>({
      name: 'health',
      create: () => ({
        receive: (h) => {
          this.health.push(h);
          for (const w of this.healthWaiters.splice(0)) w();
        },
      }),
    });
    this.client = this.runtime.spawn<{ type: 'Replied'; batch: ReplyBatch }>({
      name: 'client',
      create: () => ({
        receive: ({ batch }) => {
          for (let i = 0; i < batch.count; i++) {
            const resolve = this.waiting.get(batch.slots[i]);
            this.waiting.delete(batch.slots[i]);
            resolve?.(Buffer.from(batch.bytes[i]).toString('latin1'));
          }
          releaseBatch(batch);
        },
      }),
    });
    const full: NodeOptions = { ...options, health: monitor };
    this.node = place === undefined ? this.runtime.spawn(nodeBehavior(full)) : place(this.runtime, full);
  }

  /** Sends one command over the shared link; resolves with its raw reply. */
  send(...args: (string | Buffer)[]): Promise<string> {
    return this.route(args, false);
  }

  /** Sends one command as one known to be slow (over the side link). */
  sendSlow(...args: string[]): Promise<string> {
    return this.route(args, true);
  }

  /** Resolves once the NodeActor reported a health change that `accept` takes. */
  async healthEvent(accept: (h: NodeHealth) => boolean): Promise<NodeHealth> {
    for (;;) {
      const found = this.health.find(accept);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.healthWaiters.push(resolve));
    }
  }

  private route(args: (string | Buffer)[], slow: boolean): Promise<string> {
    const slot = this.nextSlot++;
    const reply = new Promise<string>((resolve) => this.waiting.set(slot, resolve));
    const batch = takeBatch();
    addToBatch(batch, slot, -1, encodeCommand(args));
    this.tell(slow ? { type: 'Route', replyTo: this.client, batch, slow } : { type: 'Route', replyTo: this.client, batch });
    return reply;
  }

  tell(msg: NodeMessage): void {
    this.runtime.tell(this.node, msg);
  }

  stop(): void {
    this.runtime.stop(this.node);
  }
}
