// Tracing for one proxy: whether it is on, how requests are sampled, whether keys may appear in
// spans. Connections ask it for their tracer; when tracing is off they get null, and a null check
// is all an untraced proxy pays per command.
import { rootSampleRatio } from './sampling.js';
import { providerRegistered } from './tracer.js';
import { ConnectionTracing, type TracedClient } from './server.js';

export interface TracingOptions {
  /** false: no spans at all, whatever SDK is registered. */
  readonly enabled: boolean;
  /** Share of requests without a client trace context that are traced (see sampling.ts). */
  readonly sampleRatio?: number;
  /** Keys (never values) in db.query.text. */
  readonly recordKeys: boolean;
}

export class Tracing {
  private constructor(
    /** Probability that a request without a sampled client trace context is traced. */
    readonly ratio: number,
    readonly recordKeys: boolean,
    /** Trailing routing options, left out of query texts. */
    readonly optionPrefixes: readonly string[],
  ) {}

  /** null when the configuration turns tracing off. */
  static create(options: TracingOptions, optionPrefixes: readonly string[], env: NodeJS.ProcessEnv = process.env): Tracing | null {
    if (!options.enabled) return null;
    return new Tracing(rootSampleRatio(options.sampleRatio, env), options.recordKeys, optionPrefixes.filter((p) => p.length > 0));
  }

  /**
   * The tracing of a new client connection, or null when no tracer provider is registered (spans
   * would all be no-ops). Asked per connection, so an SDK registered after the proxy started counts.
   */
  forConnection(client: TracedClient): ConnectionTracing | null {
    return providerRegistered() ? new ConnectionTracing(this, client) : null;
  }
}
