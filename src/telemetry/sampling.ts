// Which requests are traced. Parent-based: a request that carries a client's trace context follows
// its sampled flag; any other request is traced with probability `ratio`, decided by jupiter itself
// before any span exists, so an untraced request costs one Math.random() and allocates nothing.

/**
 * Share of root requests traced when neither the configuration nor OTEL_TRACES_SAMPLER says:
 * chosen so that tracing costs at most 5% of the proxy's throughput (see docs/benchmarks.md).
 */
export const DEFAULT_SAMPLE_RATIO = 0.001;

/**
 * The root ratio: `tracing.sampleRatio` when the configuration sets it, else the standard
 * OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, else the default. The SDK jupiter installs then
 * samples parent-based and always-on, so the two never multiply.
 */
export function rootSampleRatio(configured: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (configured !== undefined) return configured;
  switch (env.OTEL_TRACES_SAMPLER?.trim().toLowerCase()) {
    case 'always_on':
    case 'parentbased_always_on':
      return 1;
    case 'always_off':
    case 'parentbased_always_off':
      return 0;
    case 'traceidratio':
    case 'parentbased_traceidratio': {
      // The specification's default argument for a ratio sampler is 1.0.
      const arg = Number(env.OTEL_TRACES_SAMPLER_ARG?.trim() || 1);
      return Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
    }
    default:
      return DEFAULT_SAMPLE_RATIO;
  }
}
