import type { Context } from 'aws-lambda';
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';

/**
 * Lambda response streaming, locally. On AWS the runtime provides the global `awslambda` with
 * `streamifyResponse` (marks a handler as streaming) and `HttpResponseStream.from` (writes the
 * status and headers prelude before the body); API Gateway REST with
 * `ResponseTransferMode.STREAM` then relays each chunk as it comes. Here the same calls write to
 * the HTTP response directly, chunk by chunk.
 */
export const STREAMING_MARK = Symbol.for('aws.lambda.runtime.handler.streaming');

export interface HttpPrelude {
  statusCode?: number;
  headers?: Record<string, string>;
  cookies?: string[];
}

export type StreamingHandler = ((event: unknown, stream: Writable, context: Context) => Promise<void>) & {
  [STREAMING_MARK]?: string;
};

/** A Writable that becomes the HTTP response: the prelude sets the head, chunks go straight out. */
export class LocalResponseStream extends Writable {
  private prelude: HttpPrelude = {};

  constructor(private readonly res: ServerResponse) {
    super();
  }

  setPrelude(prelude: HttpPrelude): void {
    this.prelude = prelude;
  }

  /** As the runtime's HttpResponseStream offers. */
  setContentType(contentType: string): void {
    this.prelude = { ...this.prelude, headers: { ...this.prelude.headers, 'Content-Type': contentType } };
  }

  private head(): void {
    if (this.res.headersSent) return;
    const headers: Record<string, string | string[]> = { ...(this.prelude.headers ?? {}) };
    if (this.prelude.cookies?.length) headers['Set-Cookie'] = this.prelude.cookies;
    this.res.writeHead(this.prelude.statusCode ?? 200, headers);
    // Send the head now: a client waiting for the first event must not wait for the first chunk.
    this.res.flushHeaders();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.head();
    this.res.write(chunk, (error) => callback(error ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.head();
    this.res.end(() => callback());
  }
}

interface LambdaGlobals {
  streamifyResponse<T extends StreamingHandler>(handler: T): T;
  HttpResponseStream: { from(stream: Writable, prelude: HttpPrelude): Writable };
}

/**
 * Installs what the Lambda Node.js runtime provides, unless something already did. Member by
 * member: other libraries (Lambda's invoke store, loaded by Powertools) create `awslambda` as an
 * empty object of their own.
 */
export function installLambdaStreamingGlobals(): void {
  // @types/aws-lambda declares `awslambda` as an ambient namespace; this is its runtime value.
  const scope = globalThis as unknown as { awslambda?: Partial<LambdaGlobals> };
  const globals = (scope.awslambda ??= {});
  globals.streamifyResponse ??= (handler) => Object.assign(handler, { [STREAMING_MARK]: 'response' });
  globals.HttpResponseStream ??= {
    from: (stream, prelude) => {
      if (stream instanceof LocalResponseStream) stream.setPrelude(prelude);
      return stream;
    },
  };
}

export function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return typeof handler === 'function' && (handler as StreamingHandler)[STREAMING_MARK] === 'response';
}

/**
 * Runs a streaming handler against an HTTP response; ends the response if the handler did not.
 * A handler that throws fails the invocation, as on Lambda: the response is cut (the client sees
 * a broken transfer, never a complete-looking one) and the error reaches the caller.
 */
export async function invokeStreaming(
  handler: StreamingHandler,
  event: unknown,
  res: ServerResponse,
  context: Context,
): Promise<void> {
  const stream = new LocalResponseStream(res);
  try {
    await handler(event, stream, context);
  } catch (error) {
    stream.destroy();
    res.destroy();
    throw error;
  }
  if (!stream.writableEnded) stream.end();
}
