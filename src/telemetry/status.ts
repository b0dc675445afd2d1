// Errors on spans: an error reply sets the span's status to ERROR and records the reply's prefix
// (`ERR`, `WRONGTYPE`) as db.response.status_code and error.type, as the database conventions say.
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { DB_RESPONSE_STATUS_CODE, ERROR_TYPE } from './attributes.js';

export interface ReplyError {
  /** The first word of the error reply, such as ERR or WRONGTYPE. */
  readonly code: string;
  readonly message: string;
}

// The one Redis error that quotes a client's arguments, which may be values.
const QUOTED_ARGUMENTS = ', with args beginning with:';
const MAX_MESSAGE = 256;

/** The error a reply carries, or undefined when it is not an error reply. */
export function replyError(reply: Uint8Array): ReplyError | undefined {
  if (reply[0] !== 45) return undefined; // '-'
  let end = reply.indexOf(13);
  if (end < 0) end = reply.length;
  let message = Buffer.from(reply.buffer, reply.byteOffset, end).toString('utf8', 1, Math.min(end, MAX_MESSAGE + 1));
  const quoted = message.indexOf(QUOTED_ARGUMENTS);
  if (quoted >= 0) message = message.slice(0, quoted);
  const space = message.indexOf(' ');
  return { code: space < 0 ? message : message.slice(0, space), message };
}

/** Marks the span failed by an error reply (from Redis, or built by jupiter for the client). */
export function recordReplyError(span: Span, error: ReplyError): void {
  span.setAttribute(DB_RESPONSE_STATUS_CODE, error.code);
  span.setAttribute(ERROR_TYPE, error.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/** Marks the span failed without a reply from Redis (node down, timeout, client gone). */
export function recordFailure(span: Span, errorType: string, message: string): void {
  span.setAttribute(ERROR_TYPE, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
