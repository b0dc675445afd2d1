// The OTLP exporter behind two guards, so that a collector that is missing, down or slow costs the
// proxy next to nothing. Without them every batch is serialised and sent, however many went
// unanswered, and a refused one is retried for up to ten seconds with its bytes held.
// - At most a few exports in flight: a batch beyond that is dropped before it is serialised.
// - After a failed export, batches are dropped for a cool-down (1 s, doubling up to a minute);
//   then one export tries again, and a success ends the cool-down.
// - During the cool-down no span is recorded at all (samplingWhileAccepted): a span made only to be
//   dropped costs as much as one exported.
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { SamplingDecision, type ReadableSpan, type Sampler, type SamplingResult, type SpanExporter } from '@opentelemetry/sdk-trace-base';

const MAX_IN_FLIGHT = 8;
const FIRST_COOL_DOWN_MS = 1000;
const MAX_COOL_DOWN_MS = 60_000;

/** Told when the collector stops taking spans (with why) and when it takes them again. */
export type ExportStateListener = (up: boolean, reason?: string) => void;

const dropped = (why: string): ExportResult => ({ code: ExportResultCode.FAILED, error: new Error(why) });

export class GuardedExporter implements SpanExporter {
  private inFlight = 0;
  private coolUntil = 0;
  private coolDownMs = FIRST_COOL_DOWN_MS;
  private down = false;
  private probing = false;

  constructor(
    private readonly inner: SpanExporter,
    private readonly onState: ExportStateListener = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** True while batches are dropped for a cool-down (or while the one export after it is out). */
  get dropping(): boolean {
    return this.down && (this.probing || this.now() < this.coolUntil);
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.inFlight >= MAX_IN_FLIGHT) return done(dropped('too many exports in flight'));
    if (this.dropping) return done(dropped('collector unreachable; cooling down'));
    if (this.down) this.probing = true;
    this.inFlight++;
    this.inner.export(spans, (result) => {
      this.inFlight--;
      this.probing = false;
      if (result.code === ExportResultCode.SUCCESS) this.succeeded();
      else this.failed(result.error);
      done(result);
    });
  }

  private succeeded(): void {
    this.coolDownMs = FIRST_COOL_DOWN_MS;
    if (!this.down) return;
    this.down = false;
    this.onState(true);
  }

  private failed(error: Error | undefined): void {
    this.coolUntil = this.now() + this.coolDownMs;
    this.coolDownMs = Math.min(this.coolDownMs * 2, MAX_COOL_DOWN_MS);
    if (this.down) return;
    this.down = true;
    this.onState(false, error?.message ?? 'export failed');
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** `inner`'s decisions, except that nothing is recorded while `exporter` drops what it is given. */
export function samplingWhileAccepted(exporter: GuardedExporter, inner: Sampler): Sampler {
  const notRecorded: SamplingResult = { decision: SamplingDecision.NOT_RECORD };
  return {
    shouldSample: (context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]) =>
      exporter.dropping ? notRecorded : inner.shouldSample(context, traceId, name, kind, attributes, links),
    toString: () => `SamplingWhileAccepted{${inner.toString()}}`,
  };
}
