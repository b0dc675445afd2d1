// Redis's own protocol limits, the one source of the defaults of jupiter's matching options
// (config/schema.ts) and of the parser's and reply framer's limits when none are given.
export const REDIS_LIMITS = {
  /** proto-max-bulk-len: the largest bulk string. */
  maxBulkLength: 512 * 1024 * 1024,
  /** The largest multibulk count Redis accepts (INT_MAX). */
  maxMultibulkLength: 2147483647,
  /** PROTO_INLINE_MAX_SIZE: the longest line without a newline. */
  maxInlineLength: 64 * 1024,
  /** client-query-buffer-limit: the most unparsed input held for one client. */
  maxQueryBuffer: 1024 * 1024 * 1024,
} as const;
