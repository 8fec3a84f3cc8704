import * as fc from 'fast-check';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, gzipped } from './compression';
import type { ResponseProducer } from './route';

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate, br, zstd', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['br;q=1.0, gzip;q=0.001', true],
    ['*', true],
    ['br, *;q=0.5', true],
    ['identity', false],
    ['br', false],
    ['gzip;q=0', false],
    ['gzip;q=0.000', false],
    ['gzip;q=0, *', false],
    ['*;q=0', false],
    ['gzip;q=abc', false],
    ['gzip;q=1.5', false],
    ['gzip;q=-1', false],
    ['gzip;q=0.0001', false],
    ['', false],
    ['__proto__', false],
    ['gzip\u0000', false],
  ])('%j → %s', (value, expected) => {
    expect(acceptsGzip({ 'Accept-Encoding': value })).toBe(expected);
  });

  it('reads the header whatever its case, and says no without one', () => {
    expect(acceptsGzip({ 'accept-encoding': 'gzip' })).toBe(true);
    expect(acceptsGzip({ 'ACCEPT-ENCODING': 'gzip' })).toBe(true);
    expect(acceptsGzip({})).toBe(false);
    expect(acceptsGzip(null)).toBe(false);
  });

  it('never throws on any header value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (value) => {
        expect(typeof acceptsGzip({ 'Accept-Encoding': value })).toBe('boolean');
      }),
    );
  });
});

/** Runs a producer as the router does: chunks collected, `ready` answering as told. */
async function run(producer: ResponseProducer, readyAnswers: () => boolean = () => true) {
  const chunks: Buffer[] = [];
  let readyCalls = 0;
  await producer(
    (chunk) => chunks.push(Buffer.from(chunk)),
    async () => {
      readyCalls += 1;
      return readyAnswers();
    },
  );
  return { bytes: Buffer.concat(chunks), readyCalls };
}

const download = (pieces: readonly string[], fail?: Error) => ({
  statusCode: 200,
  headers: { 'Content-Type': 'text/markdown; charset=utf-8', Vary: 'Accept-Encoding' },
  body: '',
  stream: (async (write, ready) => {
    for (const piece of pieces) {
      write(piece);
      if (!(await ready())) return;
    }
    if (fail) throw fail;
  }) satisfies ResponseProducer,
});

describe('gzipped', () => {
  it('says Content-Encoding: gzip and keeps the other headers', () => {
    const result = gzipped(download(['a']));

    expect(result.headers).toEqual({
      'Content-Type': 'text/markdown; charset=utf-8',
      Vary: 'Accept-Encoding',
      'Content-Encoding': 'gzip',
    });
  });

  it('writes a gzip stream that inflates to exactly what the producer wrote', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'binary', maxLength: 2000 }), { maxLength: 20 }),
        async (pieces) => {
          const result = gzipped(download(pieces));
          if (!result.stream) throw new Error('no stream');

          const { bytes, readyCalls } = await run(result.stream);

          expect(gunzipSync(bytes).toString('utf8')).toBe(pieces.join(''));
          // The client's backpressure still reaches the producer: once a piece.
          expect(readyCalls).toBe(pieces.length);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('sends text of many megabytes as a fraction of its size', async () => {
    const pieces = Array.from(
      { length: 40 },
      (_, i) => `## You\n\n${i} ${'Pastel de nata, bacalhau. '.repeat(4000)}\n`,
    );
    const result = gzipped(download(pieces));
    if (!result.stream) throw new Error('no stream');

    const { bytes } = await run(result.stream);

    const size = Buffer.byteLength(pieces.join(''));
    expect(size).toBeGreaterThan(4_000_000);
    expect(bytes.length).toBeLessThan(size / 4);
    expect(gunzipSync(bytes).toString('utf8')).toBe(pieces.join(''));
  });

  it('stops when the client has gone, and what went out never inflates as whole', async () => {
    const pieces = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(100_000));
    const result = gzipped(download(pieces));
    if (!result.stream) throw new Error('no stream');
    let asked = 0;

    const { bytes, readyCalls } = await run(result.stream, () => ++asked < 3);

    expect(readyCalls).toBe(3);
    expect(() => gunzipSync(bytes)).toThrow();
  });

  it("passes the producer's failure on, without the gzip trailer that would make it read as whole", async () => {
    const failure = new Error('a page read failed');
    const result = gzipped(download(['first piece', 'second piece'], failure));
    if (!result.stream) throw new Error('no stream');
    const chunks: Buffer[] = [];

    await expect(
      result.stream(
        (chunk) => chunks.push(Buffer.from(chunk)),
        async () => true,
      ),
    ).rejects.toBe(failure);

    expect(() => gunzipSync(Buffer.concat(chunks))).toThrow();
  });
});
