import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SAMPLE_RATIO, rootSampleRatio } from '../../../src/telemetry/sampling.js';

test('the configured ratio wins over OTEL_TRACES_SAMPLER', () => {
  assert.equal(rootSampleRatio(0.25, { OTEL_TRACES_SAMPLER: 'always_on' }), 0.25);
  assert.equal(rootSampleRatio(0, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }), 0);
});

test('without a configured ratio the standard sampler variables decide', () => {
  assert.equal(rootSampleRatio(undefined, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }), 0.1);
  assert.equal(rootSampleRatio(undefined, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: ' 0.3 ' }), 0.3);
  assert.equal(rootSampleRatio(undefined, { OTEL_TRACES_SAMPLER: 'parentbased_always_on' }), 1);
  assert.equal(rootSampleRatio(undefined, { OTEL_TRACES_SAMPLER: 'always_off' }), 0);
  // As the specification says: a ratio sampler without a usable argument samples everything.
  assert.equal(rootSampleRatio(undefined, { OTEL_TRACES_SAMPLER: 'traceidratio' }), 1);
  assert.equal(rootSampleRatio(undefined, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }), 1);
});

test('with nothing configured the default ratio applies', () => {
  assert.equal(rootSampleRatio(undefined, {}), DEFAULT_SAMPLE_RATIO);
  assert.equal(rootSampleRatio(undefined, { OTEL_TRACES_SAMPLER: 'jaeger_remote' }), DEFAULT_SAMPLE_RATIO);
  assert.ok(DEFAULT_SAMPLE_RATIO > 0 && DEFAULT_SAMPLE_RATIO <= 0.01);
});
