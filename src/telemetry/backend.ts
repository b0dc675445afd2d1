// The spans a NodeActor makes for each traced request that reaches it, in whatever thread it runs:
// an INTERNAL span for the hop (from the ConnectionActor's Route message, through the NodeActor's
// mailbox and its queue of requests not yet written) and, once the request is on the node's
// socket, a CLIENT span for the round trip to Redis, following the database conventions.
import { ROOT_CONTEXT, SpanKind, trace, type Span } from '@opentelemetry/api';
import {
  DB_NAMESPACE,
  DB_OPERATION_NAME,
  DB_QUERY_TEXT,
  DB_SYSTEM_NAME,
  EVENT_ENQUEUED,
  EVENT_WRITTEN,
  HOP_MS,
  NAMESPACE,
  NODE,
  QUEUE_DEPTH,
  QUEUE_WAIT_MS,
  REDIS,
  RING_EPOCH,
  SERVER_ADDRESS,
  SERVER_PORT,
} from './attributes.js';
import { now } from './clock.js';
import type { RequestTrace } from './request-trace.js';
import { recordFailure, recordReplyError, replyError } from './status.js';
import { tracer } from './tracer.js';

export interface TracedNode {
  readonly id: string; // host:port
  readonly host: string;
  readonly port: number;
}

/** One traced request at a NodeActor, from its arrival to its reply. */
export class Hop {
  client: Span | undefined = undefined;
  ended = false;

  constructor(
    readonly span: Span,
    readonly trace: RequestTrace,
    readonly arrivedAt: number,
  ) {}
}

/** Why a request got no reply from Redis, as error.type. */
export type FailureType = 'node_unavailable' | 'timeout' | 'protocol_error';

export class BackendTracing {
  /** Traced requests that arrived since the node's socket was last written. */
  private unwritten: Hop[] = [];
  private readonly hopName: string;

  constructor(private readonly node: TracedNode) {
    this.hopName = `route ${node.id}`;
  }

  /** Whether traced requests wait for the next write. */
  get waiting(): boolean {
    return this.unwritten.length > 0;
  }

  /** A traced request arrived, with `queueDepth` requests of this node already in flight. */
  arrived(request: RequestTrace, queueDepth: number): Hop {
    const hop = this.startHop(request, queueDepth);
    this.unwritten.push(hop);
    return hop;
  }

  /** Everything that arrived since the last write is now on the node's socket. */
  written(): void {
    const at = now();
    for (const hop of this.unwritten) {
      if (hop.ended) continue;
      hop.span.setAttribute(QUEUE_WAIT_MS, at - hop.arrivedAt);
      hop.span.addEvent(EVENT_WRITTEN, at);
      const { operation, query } = hop.trace;
      hop.client = tracer().startSpan(
        operation,
        {
          kind: SpanKind.CLIENT,
          startTime: at,
          attributes: {
            [DB_SYSTEM_NAME]: REDIS,
            [DB_OPERATION_NAME]: operation,
            [DB_NAMESPACE]: NAMESPACE,
            [SERVER_ADDRESS]: this.node.host,
            [SERVER_PORT]: this.node.port,
          },
        },
        trace.setSpan(ROOT_CONTEXT, hop.span),
      );
      if (query !== undefined) hop.client.setAttribute(DB_QUERY_TEXT, query);
    }
    this.unwritten = [];
  }

  /** The requests not yet written were failed and will never be written. */
  discardUnwritten(): void {
    if (this.unwritten.length > 0) this.unwritten = [];
  }

  /** Redis answered the request. */
  replied(hop: Hop, reply: Uint8Array): void {
    const at = now();
    if (hop.client !== undefined) {
      const error = replyError(reply);
      if (error !== undefined) recordReplyError(hop.client, error);
      hop.client.end(at);
    }
    this.end(hop, at);
  }

  /** The request got `reply`, an error jupiter made, without an answer from Redis. */
  failed(hop: Hop, type: FailureType, reply: Uint8Array): void {
    const at = now();
    const message = replyError(reply)?.message ?? type;
    // The failure belongs to the round trip if the request reached the socket, else to the hop.
    if (hop.client !== undefined) {
      recordFailure(hop.client, type, message);
      hop.client.end(at);
    } else {
      recordFailure(hop.span, type, message);
    }
    this.end(hop, at);
  }

  /** A traced request refused on arrival (the node is down): its hop ends at once, failed. */
  refused(request: RequestTrace, queueDepth: number, type: FailureType, reply: Uint8Array): void {
    this.failed(this.startHop(request, queueDepth), type, reply);
  }

  private startHop(request: RequestTrace, queueDepth: number): Hop {
    const at = now();
    const span = tracer().startSpan(
      this.hopName,
      {
        kind: SpanKind.INTERNAL,
        startTime: request.sentAt,
        attributes: {
          [NODE]: this.node.id,
          [RING_EPOCH]: request.epoch,
          [QUEUE_DEPTH]: queueDepth,
          [HOP_MS]: at - request.sentAt,
        },
      },
      trace.setSpanContext(ROOT_CONTEXT, request.parent),
    );
    span.addEvent(EVENT_ENQUEUED, at);
    return new Hop(span, request, at);
  }

  private end(hop: Hop, at: number): void {
    hop.ended = true;
    hop.span.end(at);
  }
}
