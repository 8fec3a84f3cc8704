import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { requestHeader } from './request-header';
import type { ResponseProducer, RouteResult } from './route';

/** RFC 9110's qvalue: 0 to 1 with at most three decimals. */
const QVALUE = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/;

/**
 * Whether the request's `Accept-Encoding` takes gzip (RFC 9110, 12.5.3): named (or `x-gzip`), or
 * covered by `*`, with a weight above 0. No header, an unparsable weight or `q=0` means no.
 */
export function acceptsGzip(
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
): boolean {
  const value = requestHeader(headers, 'accept-encoding');
  if (!value) return false;
  let gzip: number | undefined;
  let any: number | undefined;
  for (const member of value.split(',')) {
    const [coding = '', ...parameters] = member.split(';').map((part) => part.trim().toLowerCase());
    const weight = parameters.find((p) => p.startsWith('q='));
    const q = weight === undefined ? 1 : QVALUE.test(weight.slice(2)) ? Number(weight.slice(2)) : 0;
    if (coding === 'gzip' || coding === 'x-gzip') gzip = q;
    else if (coding === '*') any = q;
  }
  return (gzip ?? any ?? 0) > 0;
}

/**
 * A streamed answer gzip-compressed as it is produced. API Gateway compresses buffered answers
 * only ("content encoding" is among what response streaming does not support: compress in the
 * integration), and past its first 10 MB a stream flows at 2 MB/s, so a text download is sent
 * compressed when the client takes it. The producer's backpressure holds: `ready` waits for the
 * compressor to take more, then for the client. A producer that fails, or a client that left,
 * ends the compressor without a trailer, so a cut download never reads as whole.
 */
export function gzipped(result: RouteResult & { readonly stream: ResponseProducer }): RouteResult {
  return {
    ...result,
    headers: { ...result.headers, 'Content-Encoding': 'gzip' },
    stream: async (write, ready) => {
      const gzip = createGzip();
      gzip.on('data', (chunk: Buffer) => write(chunk));
      let open = true;
      try {
        await result.stream(
          (chunk) => {
            gzip.write(chunk);
          },
          async () => {
            if (gzip.writableNeedDrain) await once(gzip, 'drain');
            open = await ready();
            return open;
          },
        );
      } catch (error) {
        gzip.destroy();
        throw error;
      }
      if (!open) {
        gzip.destroy();
        return;
      }
      const ended = once(gzip, 'end');
      gzip.end();
      await ended;
    },
  };
}
