// Installs the OpenTelemetry Node SDK for jupiter's own process (the CLI, or createProxy when
// asked): a tracer provider with jupiter's resource, a batch processor and the OTLP/HTTP exporter.
// The exporter follows the standard OTEL_EXPORTER_OTLP_* variables unless the configuration names
// an endpoint. Library code never imports this file; it uses @opentelemetry/api only.
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { jupiterResource } from './resource.js';
import { GuardedExporter, samplingWhileAccepted, type ExportStateListener } from './guarded-exporter.js';
import { providerRegistered, version } from './tracer.js';

/** Everything a thread needs to install the same SDK (cloneable, so a worker thread gets a copy). */
export interface SdkSettings {
  readonly version: string;
  /** service.instance.id, shared by the threads of one process. */
  readonly instanceId: string;
  /** OTLP/HTTP traces URL; unset: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT or localhost:4318. */
  readonly endpoint?: string;
}

export interface InstalledSdk {
  readonly settings: SdkSettings;
  /** Exports every span ended so far. */
  forceFlush(): Promise<void>;
  /** Flushes and, when the last user of the SDK is done, unregisters it. */
  shutdown(): Promise<void>;
}

export const sdkSettings = (endpoint?: string): SdkSettings => ({ version, instanceId: randomUUID(), endpoint });

/** The standard switches that mean "no SDK here". */
export function sdkDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none';
}

const SHUTDOWN_TIMEOUT_MS = 3000;

// One SDK per thread, shared by every proxy in it that asked for one.
let installed: { provider: NodeTracerProvider; users: number } | null = null;

/**
 * Registers jupiter's SDK globally. Null when the environment disables it, or when another tracer
 * provider is already registered (the application's own SDK then receives jupiter's spans).
 */
export function installSdk(settings: SdkSettings, env: NodeJS.ProcessEnv = process.env, onExportState?: ExportStateListener): InstalledSdk | null {
  if (sdkDisabled(env)) return null;
  if (installed === null) {
    if (providerRegistered()) return null;
    const exporter = new GuardedExporter(new OTLPTraceExporter(settings.endpoint === undefined ? {} : { url: settings.endpoint }), onExportState);
    const provider = new NodeTracerProvider({
      resource: jupiterResource(settings.version, settings.instanceId),
      // jupiter samples root requests itself (sampling.ts); the SDK follows that decision, except
      // while the collector is not taking spans.
      sampler: samplingWhileAccepted(exporter, new ParentBasedSampler({ root: new AlwaysOnSampler() })),
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    // No context manager: jupiter hands span contexts on explicitly, and the default one
    // (AsyncLocalStorage) would put async hooks on every callback of the process.
    provider.register({ contextManager: null });
    installed = { provider, users: 0 };
  }
  const mine = installed;
  mine.users++;
  let done = false;
  return {
    settings,
    forceFlush: () => mine.provider.forceFlush(),
    async shutdown() {
      if (done) return;
      done = true;
      if (--mine.users > 0) return mine.provider.forceFlush();
      if (installed === mine) installed = null;
      trace.disable();
      // An unreachable collector must not hold up a shutdown for the exporter's whole timeout.
      await Promise.race([mine.provider.shutdown(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref())]);
    },
  };
}
