import { afterEach, describe, expect, it, vi } from 'vitest';
import { RETENTION_INCOMPLETE } from '../../../lib/stacks/api-stack';

// Metrics on, as deployed (the retention function's service name and the stage): Powertools
// writes its EMF lines to standard output, where this test reads them. Set before any import, as
// the Lambda environment is: the metrics object reads them once, when first loaded.
vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_SERVICE_NAME: 'retention',
    STAGE: 'test',
    DB_DRIVER: 'pg',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    COGNITO_USER_POOL_ID: 'local_Retention',
    COGNITO_CLIENT_IDS: 'client',
    WEB_ORIGIN: 'https://chat.example.test',
    CONVERSATION_PURGE_DAYS: '30',
  });
});
const { handler } = await import('./handler');

afterEach(() => vi.restoreAllMocks());

describe('the retention run’s metrics, as CloudWatch receives them', () => {
  it('reports a run that stopped with work left under exactly the dimensions its alarm reads', async () => {
    // Prepare: stdout captured; a run with no time left stops before its first batch
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });

    // Act
    const summary = await handler(
      {} as never,
      {
        getRemainingTimeInMillis: () => 0,
        awsRequestId: 'retention-run-metrics',
        functionName: 'parley-test-retention',
      } as never,
    );
    vi.restoreAllMocks();

    // Assess: incomplete, and one EMF line says so in the Parley namespace for this stage
    expect(summary).toEqual({
      chargedAbandonedReplies: 0,
      erasedDeleted: 0,
      erasedInactive: 0,
      erasedSignInAttempts: 0,
      complete: false,
    });
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map(
        (l) =>
          JSON.parse(l) as {
            _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
            [field: string]: unknown;
          },
      );
    const { metricName, dimensionsMap } = RETENTION_INCOMPLETE('test');
    const reported = emf.filter((line) => metricName in line);
    expect(reported).toHaveLength(1);
    const [line] = reported;
    expect(line?.[metricName]).toBe(1);
    const [directive] = line?._aws.CloudWatchMetrics ?? [];
    expect(directive?.Namespace).toBe('Parley');
    expect(directive?.Dimensions.map((set) => [...set].sort())).toEqual([Object.keys(dimensionsMap).sort()]);
    for (const [name, value] of Object.entries(dimensionsMap)) expect(line?.[name]).toBe(value);
  });
});
