import { afterEach, describe, expect, it, vi } from 'vitest';
import { metrics, ParleyMetrics } from '#shared/powertools';
import { powertoolsChatMetrics } from './powertools-chat-metrics';

type Emf = {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
} & Record<string, unknown>;

/** An EMF line's metric names with units, values, dimensions and metadata. */
function read(emf: Emf) {
  const [directive] = emf._aws.CloudWatchMetrics;
  const { _aws: _directives, ...fields } = emf;
  return {
    namespace: directive?.Namespace,
    dimensions: directive?.Dimensions,
    units: Object.fromEntries((directive?.Metrics ?? []).map((m) => [m.Name, m.Unit])),
    fields,
  };
}

/** What the request's next EMF line would carry. */
const recorded = () => read(metrics.serializeMetrics() as unknown as Emf);

/** The lines published apart from the request's (metrics.apart()), as they were published. */
function linesApart() {
  const lines: Emf[] = [];
  vi.spyOn(metrics, 'apart').mockImplementation(() => {
    const apart = new ParleyMetrics({ namespace: 'Parley', serviceName: 'parley' });
    vi.spyOn(apart, 'publishStoredMetrics').mockImplementation(() => {
      lines.push(apart.serializeMetrics() as unknown as Emf);
      apart.clearMetrics();
      return apart;
    });
    return apart;
  });
  return lines;
}

afterEach(() => {
  vi.restoreAllMocks();
  metrics.clearMetrics();
  metrics.clearMetadata();
  metrics.clearDimensions();
});

describe('powertoolsChatMetrics', () => {
  it('publishes the model’s timings at once, apart from the request’s metrics and its route, and records the tokens with the request', () => {
    // Prepare: a request's metrics carry its route (as the API's request state adds it)
    const apart = linesApart();
    metrics.addDimension('route', 'chat.send');

    // Act
    powertoolsChatMetrics.modelCall({
      model: 'gpt-4o-mini',
      latencyMs: 812,
      timeToFirstTokenMs: 140,
      promptTokens: 37,
      completionTokens: 9,
    });

    // Assess: one line of timings under the default dimensions only, the model as metadata
    expect(apart).toHaveLength(1);
    const timings = read(apart[0] as Emf);
    expect(timings.namespace).toBe('Parley');
    expect(timings.dimensions).toEqual([['service']]);
    expect(timings.units).toEqual({ ModelLatency: 'Milliseconds', TimeToFirstToken: 'Milliseconds' });
    expect(timings.fields).toEqual({
      service: 'parley',
      model: 'gpt-4o-mini',
      ModelLatency: 812,
      TimeToFirstToken: 140,
    });
    const { units, fields } = recorded();
    expect(units).toEqual({ TokensIn: 'Count', TokensOut: 'Count' });
    expect(fields).toEqual({
      service: 'parley',
      route: 'chat.send',
      model: 'gpt-4o-mini',
      TokensIn: 37,
      TokensOut: 9,
    });
  });

  it('publishes no time to first token for a reply that had no token', () => {
    const apart = linesApart();

    powertoolsChatMetrics.modelCall({
      model: 'gpt-4o-mini',
      latencyMs: 300,
      timeToFirstTokenMs: undefined,
      promptTokens: 5,
      completionTokens: 0,
    });

    expect(apart.map((line) => Object.keys(read(line).units))).toEqual([['ModelLatency']]);
    expect(recorded().fields).not.toHaveProperty('TimeToFirstToken');
  });

  it('counts a model error under the name the alarm reads, with its kind and reason as metadata', () => {
    powertoolsChatMetrics.modelError('stream', 'cut');

    expect(recorded().fields).toEqual({ service: 'parley', ModelErrors: 1, modelError: 'stream:cut' });
  });

  it('counts a reply the model cut at its length limit, with its model as metadata', () => {
    powertoolsChatMetrics.replyCutShort('gpt-4o-mini');

    const { units, fields } = recorded();
    expect(units).toEqual({ RepliesCutShort: 'Count' });
    expect(fields).toEqual({ service: 'parley', RepliesCutShort: 1, model: 'gpt-4o-mini' });
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
