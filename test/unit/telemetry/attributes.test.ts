import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as semconv from '@opentelemetry/semantic-conventions';
import { DB_SYSTEM_NAME_VALUE_REDIS } from '@opentelemetry/semantic-conventions/incubating';
import * as ours from '../../../src/telemetry/attributes.js';

test('attribute names match the semantic conventions package', () => {
  assert.equal(ours.DB_SYSTEM_NAME, semconv.ATTR_DB_SYSTEM_NAME);
  assert.equal(ours.DB_OPERATION_NAME, semconv.ATTR_DB_OPERATION_NAME);
  assert.equal(ours.DB_NAMESPACE, semconv.ATTR_DB_NAMESPACE);
  assert.equal(ours.DB_QUERY_TEXT, semconv.ATTR_DB_QUERY_TEXT);
  assert.equal(ours.DB_RESPONSE_STATUS_CODE, semconv.ATTR_DB_RESPONSE_STATUS_CODE);
  assert.equal(ours.ERROR_TYPE, semconv.ATTR_ERROR_TYPE);
  assert.equal(ours.SERVER_ADDRESS, semconv.ATTR_SERVER_ADDRESS);
  assert.equal(ours.SERVER_PORT, semconv.ATTR_SERVER_PORT);
  assert.equal(ours.CLIENT_ADDRESS, semconv.ATTR_CLIENT_ADDRESS);
  assert.equal(ours.CLIENT_PORT, semconv.ATTR_CLIENT_PORT);
  assert.equal(ours.REDIS, DB_SYSTEM_NAME_VALUE_REDIS);
});
