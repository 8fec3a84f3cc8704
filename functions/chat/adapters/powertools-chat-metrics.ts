import { metrics, MetricUnit, publishMetrics } from '#shared/powertools';
import type { ChatMetrics } from '../ports/chat-metrics';

/**
 * Chat metrics as Powertools EMF, in the namespace the alarms read. The names `ModelErrors`,
 * `CircuitOpen` and `QuotaRejections` are the ones lib/stacks/monitoring-stack.ts alarms on.
 */
export const powertoolsChatMetrics: ChatMetrics = {
  modelCall({ model, latencyMs, timeToFirstTokenMs, promptTokens, completionTokens }) {
    // The model's timings on a line of their own, under exactly [service, Stage], which the
    // ModelSlowToStart alarm reads: recorded with the request's metrics, a buffered (JSON) reply's
    // would carry the API's `route` dimension too and the alarm would never see them. A streamed
    // reply's come after the request's line anyway; both paths now publish the same set.
    const timings = metrics.apart();
    timings.addMetric('ModelLatency', MetricUnit.Milliseconds, latencyMs);
    if (timeToFirstTokenMs !== undefined)
      timings.addMetric('TimeToFirstToken', MetricUnit.Milliseconds, timeToFirstTokenMs);
    timings.addMetadata('model', model);
    publishMetrics(timings);
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
  replyCutShort(model) {
    metrics.addMetric('RepliesCutShort', MetricUnit.Count, 1);
    metrics.addMetadata('model', model);
  },
  cacheLookup(what, hit) {
    metrics.addMetric(hit ? 'CacheHits' : 'CacheMisses', MetricUnit.Count, 1);
    metrics.addMetadata('cacheLookup', what);
  },
};
