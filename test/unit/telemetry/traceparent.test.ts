import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceFlags } from '@opentelemetry/api';
import { isSampled, parseTraceparent } from '../../../src/telemetry/traceparent.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

test('a W3C traceparent gives its trace id, span id and sampled flag, as a remote context', () => {
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-01`), { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED, isRemote: true });
  const unsampled = parseTraceparent(`00-${TRACE}-${SPAN}-00`)!;
  assert.equal(isSampled(unsampled), false);
  // Flag bits other than sampled are not carried over.
  assert.equal(parseTraceparent(`00-${TRACE}-${SPAN}-03`)!.traceFlags, TraceFlags.SAMPLED);
});

test('malformed or all-zero traceparents are refused', () => {
  for (const bad of [
    '',
    'garbage',
    `01-${TRACE}-${SPAN}-01`,
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-1`,
    `00-${TRACE}-${SPAN}-01-extra`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
  ]) {
    assert.equal(parseTraceparent(bad), undefined, bad);
  }
});
