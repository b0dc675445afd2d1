// A span per blob read or write (@opentelemetry/api only), with the blob's size and chunk count.
// Through jupiter, its context rides every command the read or write sends, as the trailing
// traceparent= argument: jupiter's spans of those commands (per MGET, one round trip per node it
// touches, never one per chunk) become its children, in the same trace.
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type SpanContext } from '@opentelemetry/api';
import { BLOB_CHUNKS, BLOB_SIZE } from '../telemetry/attributes.js';
import { tracer } from '../telemetry/tracer.js';
import type { Manifest } from './layout.js';

export interface BlobSpan {
  readonly span: Span;
  /** The span as a traceparent, for the commands sent under it; undefined when it is not sampled. */
  readonly traceparent: string | undefined;
}

/** Starts a blob span, a child of `parent` (a BLOB.* command's SERVER span) or of the active context. */
export function startBlobSpan(name: 'blob.read' | 'blob.write', parent?: SpanContext): BlobSpan {
  const ctx = parent === undefined ? context.active() : trace.setSpanContext(ROOT_CONTEXT, parent);
  const span = tracer().startSpan(name, { kind: SpanKind.INTERNAL }, ctx);
  if (!span.isRecording()) return { span, traceparent: undefined };
  const { traceId, spanId } = span.spanContext();
  return { span, traceparent: `00-${traceId}-${spanId}-01` };
}

export function describeBlob(span: Span, manifest: Pick<Manifest, 'size' | 'chunks'>): void {
  span.setAttributes({ [BLOB_SIZE]: manifest.size, [BLOB_CHUNKS]: manifest.chunks });
}

/** Runs `work` under the span, ending it with the outcome. */
export async function inBlobSpan<T>(blob: BlobSpan, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    blob.span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    blob.span.end();
  }
}
