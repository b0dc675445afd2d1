// comlink's Node adapter (worker_threads ports as comlink endpoints). Its CommonJS module exports
// the function itself while its types declare a default export, so it is loaded with require
// and given its declared type here, once.
import { createRequire } from 'node:module';
import type { Endpoint } from 'comlink';
import type { NodeEndpoint } from 'comlink/dist/umd/node-adapter.js';

const require = createRequire(import.meta.url);

export const nodeEndpoint = require('comlink/dist/umd/node-adapter.js') as (port: NodeEndpoint) => Endpoint;
