import { afterEach, describe, expect, it } from 'vitest';
import { metrics } from '#shared/powertools';
import { powertoolsChatMetrics } from './powertools-chat-metrics';

/** What the next EMF line would carry: metric names with units, values, dimensions and metadata. */
function recorded() {
  const emf = metrics.serializeMetrics() as unknown as {
    _aws: {
      CloudWatchMetrics: {
        Namespace: string;
        Dimensions: string[][];
        Metrics: { Name: string; Unit: string }[];
      }[];
    };
  } & Record<string, unknown>;
  const [directive] = emf._aws.CloudWatchMetrics;
  const { _aws: _directives, ...fields } = emf;
  return {
    namespace: directive?.Namespace,
    dimensions: directive?.Dimensions,
    units: Object.fromEntries((directive?.Metrics ?? []).map((m) => [m.Name, m.Unit])),
    fields,
  };
}

afterEach(() => {
  metrics.clearMetrics();
  metrics.clearMetadata();
});

describe('powertoolsChatMetrics', () => {
  it('records a model call: latency, time to first token and tokens, with the model as metadata', () => {
    powertoolsChatMetrics.modelCall({
      model: 'gpt-4o-mini',
      latencyMs: 812,
      timeToFirstTokenMs: 140,
      promptTokens: 37,
      completionTokens: 9,
    });

    const { namespace, dimensions, units, fields } = recorded();
    expect(namespace).toBe('Parley');
    expect(dimensions).toEqual([['service']]);
    expect(units).toEqual({
      ModelLatency: 'Milliseconds',
      TimeToFirstToken: 'Milliseconds',
      TokensIn: 'Count',
      TokensOut: 'Count',
    });
    expect(fields).toEqual({
      service: 'parley',
      model: 'gpt-4o-mini',
      ModelLatency: 812,
      TimeToFirstToken: 140,
      TokensIn: 37,
      TokensOut: 9,
    });
  });

  it('records no time to first token for a reply that had no token', () => {
    powertoolsChatMetrics.modelCall({
      model: 'gpt-4o-mini',
      latencyMs: 300,
      timeToFirstTokenMs: undefined,
      promptTokens: 5,
      completionTokens: 0,
    });

    const { units, fields } = recorded();
    expect(Object.keys(units)).toEqual(['ModelLatency', 'TokensIn', 'TokensOut']);
    expect(fields).not.toHaveProperty('TimeToFirstToken');
  });

  it('counts a model error under the name the alarm reads, with its kind and reason as metadata', () => {
    powertoolsChatMetrics.modelError('stream', 'cut');

    expect(recorded().fields).toEqual({ service: 'parley', ModelErrors: 1, modelError: 'stream:cut' });
  });

  it.each([
    ['open', 1],
    ['half-open', 0],
    ['closed', 0],
  ] as const)('records CircuitOpen %s as %i', (state, value) => {
    powertoolsChatMetrics.circuit(state);

    expect(recorded().fields).toEqual({ service: 'parley', CircuitOpen: value });
  });

  it.each([
    ['quota', 'QuotaRejections'],
    ['rate', 'RateLimitRejections'],
  ] as const)('counts a %s rejection as %s', (limit, name) => {
    powertoolsChatMetrics.rejected(limit);

    expect(recorded().fields).toEqual({ service: 'parley', [name]: 1 });
    expect(recorded().units).toEqual({ [name]: 'Count' });
  });

  it.each([
    [true, 'CacheHits'],
    [false, 'CacheMisses'],
  ] as const)('counts a cache lookup (hit: %s) as %s, naming what was looked up', (hit, name) => {
    powertoolsChatMetrics.cacheLookup('monthly-usage', hit);

    expect(recorded().fields).toEqual({ service: 'parley', [name]: 1, cacheLookup: 'monthly-usage' });
  });
});
