/**
 * What the Lambda Node.js runtime (aws-lambda-nodejs-runtime-interface-client, Errors.js and
 * XRayError.js) writes of an error a handler throws, rewritten for the tests:
 * - the "Invoke Error" log line: JSON of the error in which every Error, at any depth, is its
 *   name, message, `code`, every own enumerable field and the stack's lines;
 * - the invocation's answer (name, message, stack lines), which a CloudFormation custom resource or
 *   trigger makes its failure reason, and the X-Ray cause (name, message, frames).
 */
export function whatTheRuntimeWrites(error: unknown): string {
  const withEnumerableProperties = (_key: string, value: unknown): unknown => {
    if (!(value instanceof Error)) return value;
    const written: Record<string, unknown> = {
      errorType: value.name,
      errorMessage: value.message,
      code: (value as { code?: unknown }).code,
      ...value,
    };
    if (typeof value.stack === 'string') written.stack = value.stack.split('\n');
    return written;
  };
  const answer =
    error instanceof Error
      ? { errorType: error.name, errorMessage: error.message, trace: error.stack?.split('\n') }
      : { errorType: typeof error, errorMessage: String(error), trace: [] };
  return [`\t${JSON.stringify(error, withEnumerableProperties)}`, JSON.stringify(answer)].join('\n');
}

/**
 * An error as the RDS Data API client throws it for a statement the server refused: the server's
 * Detail line (here the colliding key, holding `marker`) is part of the message.
 */
export function dataApiError(marker: string): Error {
  return Object.assign(
    new Error(
      'ERROR: duplicate key value violates unique constraint "users_email_lower_key"\n' +
        `  Detail: Key (lower(email))=(${marker}) already exists.; SQLState: 23505`,
    ),
    {
      name: 'DatabaseErrorException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'data-api-request-1' },
    },
  );
}
