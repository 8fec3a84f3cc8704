import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  installLambdaStreamingGlobals,
  invokeStreaming,
  type StreamingHandler,
} from '../../bin/local/streaming';
import type { StreamingRouteHandler } from '#shared/http/router';
import { proxyEvent, type CallInput } from './api';
import { lambdaContext } from './lambda-context';
import { expectConformance } from './openapi-conformance';
import { parseServerSentEvents, type ServerSentEvent } from './sse-events';

// The Lambda runtime provides these globals; a streaming lambda module needs them when it loads.
installLambdaStreamingGlobals();

export { parseServerSentEvents, type ServerSentEvent } from './sse-events';

export interface StreamedResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  /** Parsed JSON when the answer is JSON, else the text. */
  readonly body: unknown;
  /** The server-sent events, in order (comments such as keep-alives left out). */
  readonly events: ServerSentEvent[];
}

/**
 * Calls a streaming lambda as API Gateway's STREAM mode would, over real HTTP: the handler writes
 * into a local response stream, a real client reads it. `disconnectAfter` closes the client once
 * that many bytes arrived (a user closing the tab); the handler's own promise is still awaited.
 */
export async function callStreaming(
  // Any streaming lambda: its event type is the caller's business.
  handler: StreamingRouteHandler | StreamingHandler,
  input: CallInput & { readonly disconnectAfterBytes?: number },
): Promise<StreamedResult & { readonly handlerDone: Promise<void> }> {
  const event = proxyEvent(input);
  let handlerDone!: Promise<void>;
  const server = createServer((_req, res) => {
    handlerDone = invokeStreaming(
      handler as StreamingHandler,
      event,
      res,
      lambdaContext({ awsRequestId: event.requestContext.requestId }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const controller = new AbortController();
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: controller.signal });
    const headers = Object.fromEntries(response.headers);
    let text = '';
    const decoder = new TextDecoder();
    const reader = response.body?.getReader();
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
        if (input.disconnectAfterBytes !== undefined && text.length >= input.disconnectAfterBytes) {
          controller.abort();
          break;
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
    expectConformance({
      method: event.httpMethod,
      resource: event.resource,
      status: response.status,
      headers,
      text,
      cut: controller.signal.aborted,
    });
    const type = headers['content-type'] ?? '';
    const body = /json/.test(type) && input.disconnectAfterBytes === undefined ? JSON.parse(text) : text;
    // An event the client cut off midway is left out by the reader.
    const events = /event-stream/.test(type) ? parseServerSentEvents(text) : [];
    return { status: response.status, headers, text, body, events, handlerDone };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
