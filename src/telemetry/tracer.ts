// jupiter's tracer, from whatever tracer provider is registered with @opentelemetry/api.
import { createRequire } from 'node:module';
import { ProxyTracerProvider, trace, type Tracer } from '@opentelemetry/api';

export const TRACER_NAME = 'jupiter';
export const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export const tracer = (): Tracer => trace.getTracer(TRACER_NAME, version);

/** Whether an SDK (or any tracer provider) is registered: without one every span would be a no-op. */
export function providerRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER_NAME, version) !== undefined;
}
