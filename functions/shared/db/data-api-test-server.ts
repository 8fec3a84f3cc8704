import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * For tests: a loopback HTTP server that speaks the RDS Data API's REST-JSON wire protocol
 * (`POST /Execute` is ExecuteStatement), so a real RDSData client runs its whole middleware stack
 * (retry strategy included), which a stubbed `send` (aws-sdk-client-mock) skips.
 */

export interface DataApiReply {
  readonly status: number;
  /** The `x-amzn-ErrorType` header the SDK turns into an exception class, e.g. 'DatabaseResumingException'. */
  readonly errorType?: string;
  readonly body: unknown;
}

export interface DataApiRequest {
  /** e.g. '/Execute' */
  readonly path: string;
  readonly body: unknown;
  /** The request's headers (lower-case names), e.g. the SigV4 `authorization`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface DataApiTestServer {
  /** The endpoint for `new RDSData({ endpoint })` or AWS_ENDPOINT_URL_RDS_DATA. */
  readonly url: string;
  /** Every request that reached the server, in order. */
  readonly requests: readonly DataApiRequest[];
  close(): Promise<void>;
}

/** What Aurora answers while it resumes from zero capacity. */
export const resumingReply: DataApiReply = {
  status: 400,
  errorType: 'DatabaseResumingException',
  body: { message: 'The database is resuming. Please try again later.' },
};

/** An ExecuteStatement result (with `includeResultMetadata`) of one row `{ one: 1 }`. */
export const selectOneReply: DataApiReply = {
  status: 200,
  body: {
    columnMetadata: [{ name: 'one', label: 'one', typeName: 'int4' }],
    records: [[{ longValue: 1 }]],
    numberOfRecordsUpdated: 0,
  },
};

/** Starts the server on 127.0.0.1 at a free port; `reply` answers the request with that index. */
export async function startDataApiTestServer(
  reply: (index: number, request: DataApiRequest) => DataApiReply,
): Promise<DataApiTestServer> {
  const requests: DataApiRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: DataApiRequest = {
        path: req.url ?? '',
        body: text ? (JSON.parse(text) as unknown) : undefined,
        headers: req.headers,
      };
      requests.push(request);
      const { status, errorType, body } = reply(requests.length - 1, request);
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
      });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The SDK keeps connections alive; without this, close() would wait for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
