// Who sends the spans: service.name=jupiter, its version and this process's instance id, over
// the SDK's defaults and the host; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override.
import { defaultResource, detectResources, envDetector, hostDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { ATTR_SERVICE_INSTANCE_ID } from '@opentelemetry/semantic-conventions/incubating';

export const SERVICE_NAME = 'jupiter';

export function jupiterResource(version: string, instanceId: string): Resource {
  return defaultResource()
    .merge(detectResources({ detectors: [hostDetector] }))
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: SERVICE_NAME,
        [ATTR_SERVICE_VERSION]: version,
        [ATTR_SERVICE_INSTANCE_ID]: instanceId,
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));
}
