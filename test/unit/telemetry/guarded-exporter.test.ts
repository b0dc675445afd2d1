import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { AlwaysOnSampler, SamplingDecision, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { GuardedExporter, samplingWhileAccepted } from '../../../src/telemetry/guarded-exporter.js';

/** An exporter whose exports stay open until the test answers them. */
class HeldExporter implements SpanExporter {
  readonly open: ((result: ExportResult) => void)[] = [];
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.open.push(done);
  }
  answer(code: ExportResultCode): void {
    this.open.shift()!({ code, ...(code === ExportResultCode.FAILED ? { error: new Error('connect ECONNREFUSED 127.0.0.1:4318') } : {}) });
  }
  async shutdown(): Promise<void> {}
}

function harness() {
  const inner = new HeldExporter();
  const states: string[] = [];
  let now = 0;
  const guarded = new GuardedExporter(inner, (up, reason) => states.push(up ? 'up' : `down: ${reason}`), () => now);
  const results: string[] = [];
  const send = (): void => guarded.export([], (r) => results.push(r.code === ExportResultCode.SUCCESS ? 'ok' : r.error!.message));
  return { inner, states, results, send, advance: (ms: number) => (now += ms) };
}

test('at most 8 exports in flight: a batch beyond them is dropped without reaching the exporter', () => {
  const h = harness();
  for (let i = 0; i < 10; i++) h.send();
  assert.equal(h.inner.open.length, 8);
  assert.deepEqual(h.results, ['too many exports in flight', 'too many exports in flight']);
  h.inner.answer(ExportResultCode.SUCCESS);
  h.send();
  assert.equal(h.inner.open.length, 8);
});

test('a failed export starts a cool-down that doubles; one export probes after it, and a success ends it', () => {
  const h = harness();
  h.send();
  h.inner.answer(ExportResultCode.FAILED);
  assert.deepEqual(h.states, ['down: connect ECONNREFUSED 127.0.0.1:4318']);
  h.send();
  assert.equal(h.inner.open.length, 0, 'dropped during the cool-down');
  h.advance(1000);
  h.send();
  h.send();
  assert.equal(h.inner.open.length, 1, 'one probe at a time');
  h.inner.answer(ExportResultCode.FAILED);
  h.advance(1999);
  h.send();
  assert.equal(h.inner.open.length, 0, 'the second cool-down is 2 s');
  h.advance(1);
  h.send();
  h.inner.answer(ExportResultCode.SUCCESS);
  assert.deepEqual(h.states, ['down: connect ECONNREFUSED 127.0.0.1:4318', 'up']);
  h.send();
  h.send();
  assert.equal(h.inner.open.length, 2, 'exports flow again');
  assert.equal(h.results.filter((r) => r === 'collector unreachable; cooling down').length, 3);
});

test('nothing is recorded while batches are dropped; after the cool-down spans are recorded again for the probe', () => {
  const inner = new HeldExporter();
  let now = 0;
  const guarded = new GuardedExporter(inner, () => {}, () => now);
  const sampler = samplingWhileAccepted(guarded, new AlwaysOnSampler());
  const decide = (): SamplingDecision => sampler.shouldSample(ROOT_CONTEXT, '0af7651916cd43dd8448eb211c80319c', 'GET', SpanKind.SERVER, {}, []).decision;
  assert.equal(decide(), SamplingDecision.RECORD_AND_SAMPLED);
  guarded.export([], () => {});
  inner.answer(ExportResultCode.FAILED);
  assert.equal(decide(), SamplingDecision.NOT_RECORD);
  now += 1000;
  assert.equal(decide(), SamplingDecision.RECORD_AND_SAMPLED, 'spans for the probe');
  guarded.export([], () => {});
  assert.equal(decide(), SamplingDecision.NOT_RECORD, 'while the probe is out');
  inner.answer(ExportResultCode.SUCCESS);
  assert.equal(decide(), SamplingDecision.RECORD_AND_SAMPLED);
});
