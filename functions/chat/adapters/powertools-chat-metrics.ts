import { metrics, MetricUnit } from '#shared/powertools';
import type { ChatMetrics } from '../ports/chat-metrics';

/**
 * Chat metrics as Powertools EMF, in the namespace the alarms read. The names `ModelErrors`,
 * `CircuitOpen` and `QuotaRejections` are the ones lib/stacks/monitoring-stack.ts alarms on.
 */
export const powertoolsChatMetrics: ChatMetrics = {
  modelCall({ model, latencyMs, timeToFirstTokenMs, promptTokens, completionTokens }) {
    metrics.addMetric('ModelLatency', MetricUnit.Milliseconds, latencyMs);
    if (timeToFirstTokenMs !== undefined)
      metrics.addMetric('TimeToFirstToken', MetricUnit.Milliseconds, timeToFirstTokenMs);
    metrics.addMetric('TokensIn', MetricUnit.Count, promptTokens);
    metrics.addMetric('TokensOut', MetricUnit.Count, completionTokens);
    metrics.addMetadata('model', model);
  },
  modelError(kind, reason) {
    metrics.addMetric('ModelErrors', MetricUnit.Count, 1);
    metrics.addMetadata('modelError', `${kind}:${reason}`);
  },
  circuit(state) {
    metrics.addMetric('CircuitOpen', MetricUnit.Count, state === 'open' ? 1 : 0);
  },
  rejected(limit) {
    metrics.addMetric(limit === 'quota' ? 'QuotaRejections' : 'RateLimitRejections', MetricUnit.Count, 1);
  },
  cacheLookup(what, hit) {
    metrics.addMetric(hit ? 'CacheHits' : 'CacheMisses', MetricUnit.Count, 1);
    metrics.addMetadata('cacheLookup', what);
  },
};
