// W3C trace context in its `traceparent` text form (version 00): how a client hands jupiter its
// span, as the trailing `traceparent=` argument.
import { TraceFlags, isSpanContextValid, type SpanContext } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context a traceparent names, or undefined when it is malformed or all zeros. */
export function parseTraceparent(text: string): SpanContext | undefined {
  const m = TRACEPARENT.exec(text);
  if (m === null) return undefined;
  const context: SpanContext = { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(context) ? context : undefined;
}

export const isSampled = (context: SpanContext): boolean => (context.traceFlags & TraceFlags.SAMPLED) !== 0;
