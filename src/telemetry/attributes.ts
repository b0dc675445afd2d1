// Span attribute names: the OpenTelemetry semantic conventions jupiter uses (database spans,
// status 1.45.0) and its own `jupiter.*` ones. Literal strings, so library code needs only the API;
// a unit test checks them against @opentelemetry/semantic-conventions.
export const DB_SYSTEM_NAME = 'db.system.name';
export const DB_OPERATION_NAME = 'db.operation.name';
export const DB_NAMESPACE = 'db.namespace';
export const DB_QUERY_TEXT = 'db.query.text';
export const DB_RESPONSE_STATUS_CODE = 'db.response.status_code';
export const ERROR_TYPE = 'error.type';
export const SERVER_ADDRESS = 'server.address';
export const SERVER_PORT = 'server.port';
export const CLIENT_ADDRESS = 'client.address';
export const CLIENT_PORT = 'client.port';

export const REDIS = 'redis';
/** jupiter serves database 0 only (SELECT 0), so the namespace is always known. */
export const NAMESPACE = '0';

/** The client's connection id, as CLIENT ID answers it. */
export const CLIENT_ID = 'jupiter.client.id';
/** The ring epoch the request was routed with. */
export const RING_EPOCH = 'jupiter.ring.epoch';
/** The Redis node (host:port) a request or part was sent to. */
export const NODE = 'jupiter.node';
/** How many nodes a split or fanned-out request went to. */
export const PARTS = 'jupiter.parts';
/** Requests already in flight on the node's connection when this one arrived at its NodeActor. */
export const QUEUE_DEPTH = 'jupiter.queue.depth';
/** From arriving at the NodeActor to being written to the node's socket. */
export const QUEUE_WAIT_MS = 'jupiter.queue.wait_ms';
/** From the ConnectionActor sending the Route message to the NodeActor receiving it. */
export const HOP_MS = 'jupiter.hop_ms';

/** Span events, in the order a request meets them. */
export const EVENT_ROUTED = 'routed';
export const EVENT_ENQUEUED = 'enqueued';
export const EVENT_WRITTEN = 'written';

/** A blob read's or write's size in bytes, and its chunk count. */
export const BLOB_SIZE = 'jupiter.blob.size';
export const BLOB_CHUNKS = 'jupiter.blob.chunks';
