import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

import { lambdaContext as localLambdaContext } from '../../bin/local/gateway';

/**
 * The Lambda context for calling a handler directly in a test: the one the local server gives
 * its handlers (function `test`, a fresh request id, 29 s left), with any field overridden.
 */
export function lambdaContext(overrides: Partial<Context> = {}): Context {
  const base = localLambdaContext(overrides.functionName ?? 'test', overrides.awsRequestId ?? randomUUID());
  return { ...base, ...overrides };
}
