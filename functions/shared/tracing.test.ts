import { Tracer } from '@aws-lambda-powertools/tracer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '#test/support/lambda-context';
import { tracerMiddleware } from './tracing';

/**
 * The segments X-Ray would send, in memory: the function's segment and the handler's subsegment
 * the middleware opens under it, which records what it is given as the invocation's error.
 */
function fakeSegments() {
  const recorded: unknown[] = [];
  const handlerSegment = {
    name: '## handler',
    addError: (error: unknown) => recorded.push(error),
    addErrorFlag: () => {},
    close: vi.fn(),
  };
  const lambdaSegment = { addNewSubsegment: () => handlerSegment };
  let current: unknown = lambdaSegment;
  vi.spyOn(Tracer.prototype, 'isTracingEnabled').mockReturnValue(true);
  vi.spyOn(Tracer.prototype, 'putAnnotation').mockImplementation(() => {});
  vi.spyOn(Tracer.prototype, 'getSegment').mockImplementation(
    () => current as ReturnType<Tracer['getSegment']>,
  );
  vi.spyOn(Tracer.prototype, 'setSegment').mockImplementation((segment) => {
    current = segment;
  });
  return { recorded, handlerSegment };
}

/** An error and everything of it a serialiser may read: name, message, stack, own fields. */
const everything = (error: unknown): string =>
  error instanceof Error
    ? JSON.stringify({ ...error, name: error.name, message: error.message, stack: error.stack })
    : JSON.stringify(error);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the tracer middleware', () => {
  it("records a failed invocation's error in the trace as a log line may hold it", async () => {
    // Prepare: a Data API error, whose message carries the server's Detail (the colliding key)
    const marker = 'marker@example.com';
    const failure = Object.assign(
      new Error(
        'ERROR: duplicate key value violates unique constraint "users_email_lower_key"\n' +
          `  Detail: Key (lower(email))=(${marker}) already exists.; SQLState: 23505`,
      ),
      { name: 'DatabaseErrorException', detail: `Key (lower(email))=(${marker})` },
    );
    const { recorded, handlerSegment } = fakeSegments();
    const middleware = tracerMiddleware('parley-test');
    const request = {
      event: {},
      context: lambdaContext({ functionName: 'parley-test' }),
      response: undefined,
      error: failure,
      internal: {},
    };

    // Act
    await middleware.before?.(request as never);
    await middleware.onError?.(request as never);

    // Assess: the trace names the error and its constraint, never the key; the segment is closed
    expect(recorded).toHaveLength(1);
    expect(everything(recorded[0])).not.toContain(marker);
    expect(recorded[0]).toMatchObject({
      name: 'DatabaseErrorException',
      message: expect.stringContaining('users_email_lower_key') as unknown as string,
    });
    expect(handlerSegment.close).toHaveBeenCalledOnce();
    expect(request.error).toBe(failure);
  });
});
