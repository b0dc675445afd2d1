// jupiter's tracer, from whatever tracer provider is registered with @opentelemetry/api.
import { createRequire } from 'node:module';
import { ProxyTracerProvider, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';

export const TRACER_NAME = 'jupiter';
export const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

let cached: { readonly provider: TracerProvider; readonly tracer: Tracer } | undefined;

/**
 * The registered provider's tracer, taken again whenever the registered provider changes: a tracer
 * kept from before an SDK was registered (as in a worker thread, which installs its SDK after its
 * actors start) would stay a no-op.
 */
export function tracer(): Tracer {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (cached?.provider !== provider) cached = { provider, tracer: provider.getTracer(TRACER_NAME, version) };
  return cached.tracer;
}

/** Whether an SDK (or any tracer provider) is registered: without one every span would be a no-op. */
export function providerRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER_NAME, version) !== undefined;
}
