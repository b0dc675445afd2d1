// The SERVER span of each traced client command, on its ConnectionActor: started when the bytes
// that held the command arrived, marked when it was routed, ended when its reply is written to
// the client. Sampling is decided here, once per command, after routing has found the client's
// traceparent; an untraced command leaves no trace data anywhere.
import { ROOT_CONTEXT, SpanKind, trace, type Context, type Span, type SpanContext } from '@opentelemetry/api';
import {
  CLIENT_ADDRESS,
  CLIENT_ID,
  CLIENT_PORT,
  DB_NAMESPACE,
  DB_OPERATION_NAME,
  DB_QUERY_TEXT,
  DB_SYSTEM_NAME,
  EVENT_ROUTED,
  NAMESPACE,
  PARTS,
  REDIS,
  RING_EPOCH,
  SERVER_PORT,
} from './attributes.js';
import { now } from './clock.js';
import { encodedArgs, operationName, queryText, requestArgs } from './query.js';
import type { RequestTrace } from './request-trace.js';
import { recordFailure, recordReplyError, replyError } from './status.js';
import { isSampled, parseTraceparent } from './traceparent.js';
import { tracer } from './tracer.js';
import type { Tracing } from './tracing.js';
import type { RequestView } from '../routing/request.js';

export interface TracedClient {
  readonly id: number;
  readonly address?: string;
  readonly port?: number;
  /** The port jupiter accepted the client on. */
  readonly serverPort?: number;
}

/** One traced command: hands each part it sends to a node the trace context to carry. */
export class TracedRequest {
  private parts = 0;
  private readonly parent: SpanContext;

  constructor(
    private readonly span: Span,
    private readonly operation: string,
    private readonly epoch: number,
    private readonly recordKeys: boolean,
  ) {
    const { traceId, spanId, traceFlags } = span.spanContext();
    // Only the three fields: a plain object that clones to a worker thread.
    this.parent = { traceId, spanId, traceFlags };
  }

  /** The command's SERVER span, for an actor that answers it inside jupiter (blobs) to make children of. */
  get context(): SpanContext {
    return this.parent;
  }

  /** The trace of the part (or whole request) sent to one node, for its Route message. */
  part(bytes: Uint8Array): RequestTrace {
    this.span.setAttribute(PARTS, ++this.parts);
    const trace: RequestTrace = { parent: this.parent, sentAt: now(), epoch: this.epoch, operation: this.operation };
    return this.recordKeys ? { ...trace, query: queryText(encodedArgs(bytes)) } : trace;
  }
}

export class ConnectionTracing {
  private arrivedAt = 0;
  /** SERVER spans waiting for their reply to be written, by reply slot; made on the first one. */
  private open: Map<number, Span> | null = null;

  constructor(
    private readonly tracing: Tracing,
    private readonly client: TracedClient,
  ) {}

  /** Commands traced and not yet answered. */
  get pending(): number {
    return this.open === null ? 0 : this.open.size;
  }

  /** Bytes from the client arrived: the start of the commands they hold. */
  arrived(): void {
    this.arrivedAt = now();
  }

  /**
   * After one command was routed (its reply slot opened): decides whether it is traced and, if so,
   * starts its SERVER span. A client's traceparent decides by its sampled flag; a command without
   * one is traced with the configured probability.
   */
  begin(req: RequestView, traceparent: string | undefined, slot: number, epoch: number): TracedRequest | undefined {
    let parent: Context = ROOT_CONTEXT;
    const remote = traceparent === undefined ? undefined : parseTraceparent(traceparent);
    if (remote === undefined) {
      if (!(Math.random() < this.tracing.ratio)) return undefined;
    } else {
      if (!isSampled(remote)) return undefined;
      parent = trace.setSpanContext(ROOT_CONTEXT, remote);
    }
    const operation = operationName(req);
    const { client } = this;
    const span = tracer().startSpan(
      operation,
      {
        kind: SpanKind.SERVER,
        startTime: this.arrivedAt,
        attributes: {
          [DB_SYSTEM_NAME]: REDIS,
          [DB_OPERATION_NAME]: operation,
          [DB_NAMESPACE]: NAMESPACE,
          [CLIENT_ID]: client.id,
          [CLIENT_ADDRESS]: client.address,
          [CLIENT_PORT]: client.port,
          [SERVER_PORT]: client.serverPort,
          [RING_EPOCH]: epoch,
        },
      },
      parent,
    );
    // The registered SDK's own sampler may still say no.
    if (!span.isRecording()) return undefined;
    if (this.tracing.recordKeys) span.setAttribute(DB_QUERY_TEXT, queryText(requestArgs(req, this.tracing.optionPrefixes)));
    span.addEvent(EVENT_ROUTED, now());
    (this.open ??= new Map()).set(slot, span);
    return new TracedRequest(span, operation, epoch, this.tracing.recordKeys);
  }

  /** Replies for the slots from `first` on were just written: their commands' spans end. */
  written(first: number, replies: readonly Uint8Array[], count: number): void {
    const open = this.open;
    if (open === null) return;
    const at = now();
    for (let i = 0; i < count; i++) {
      const span = open.get(first + i);
      if (span === undefined) continue;
      open.delete(first + i);
      const error = replyError(replies[i]);
      if (error !== undefined) recordReplyError(span, error);
      span.end(at);
    }
  }

  /** The connection closed: commands still waiting never get their reply written. */
  closed(): void {
    if (this.open === null) return;
    const at = now();
    for (const span of this.open.values()) {
      recordFailure(span, 'client_closed', 'the connection closed before the reply was written');
      span.end(at);
    }
    this.open = null;
  }
}
