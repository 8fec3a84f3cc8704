import type middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '#test/support/lambda-context';

import { routeById } from '#api/index';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import { jsonBody } from './json-body';
import type { ApiEvent, ApiResult } from './types';

function requestWith(
  body: string | null,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
  isBase64Encoded = false,
): middy.Request<ApiEvent, ApiResult> {
  const event = {
    body,
    headers,
    isBase64Encoded,
    parley: { requestId: 'req-1', route: routeById('conversations.create') },
  } as unknown as ApiEvent;
  return { event, context: lambdaContext(), response: undefined, error: undefined, internal: {} };
}

async function parse(request: middy.Request<ApiEvent, ApiResult>, maxBytes = 1024): Promise<unknown> {
  await jsonBody({ maxBytes }).before?.(request);
  return request.event.parley.body;
}

describe('jsonBody', () => {
  it('parses a JSON body into parley.body', async () => {
    // Prepare
    const request = requestWith('{"title":"Trip"}');

    // Act
    const body = await parse(request);

    // Assess
    expect(body).toEqual({ title: 'Trip' });
  });

  it.each([
    ['a charset parameter', 'application/json; charset=utf-8'],
    ['upper case', 'Application/JSON'],
    ['a +json suffix', 'application/merge-patch+json'],
  ])('accepts a JSON content type with %s', async (_case, type) => {
    const body = await parse(requestWith('[1,2]', { 'content-type': type }));

    expect(body).toEqual([1, 2]);
  });

  it('finds the Content-Type header whatever its case', async () => {
    const body = await parse(requestWith('true', { 'CONTENT-TYPE': 'application/json' }));

    expect(body).toBe(true);
  });

  it('decodes a base64-encoded body before parsing', async () => {
    const encoded = Buffer.from('{"title":"Ünïcödé"}', 'utf8').toString('base64');

    const body = await parse(requestWith(encoded, { 'Content-Type': 'application/json' }, true));

    expect(body).toEqual({ title: 'Ünïcödé' });
  });

  it.each([
    ['null', null],
    ['empty', ''],
  ])('leaves parley.body undefined when the body is %s, whatever the content type', async (_case, raw) => {
    const body = await parse(requestWith(raw, {}));

    expect(body).toBeUndefined();
  });

  it('accepts a body of exactly the limit', async () => {
    const raw = JSON.stringify('x'.repeat(8)); // 10 bytes

    const body = await parse(requestWith(raw), 10);

    expect(body).toBe('x'.repeat(8));
  });

  it('refuses a body over the limit with 413 before looking at its type', async () => {
    const request = requestWith('x'.repeat(11), { 'Content-Type': 'text/plain' });

    const error = await parse(request, 10).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as Error).message).toBe('The body is 11 bytes; the limit is 10.');
  });

  it('measures the limit in bytes, not characters', async () => {
    // 5 characters, 11 bytes in UTF-8.
    const raw = '"€€€"';
    expect(raw.length).toBeLessThan(10);

    await expect(parse(requestWith(raw), 10)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('measures a base64 body by its decoded size', async () => {
    const decoded = Buffer.from('"' + 'a'.repeat(8) + '"'); // 10 bytes, 16 base64 characters
    const request = requestWith(decoded.toString('base64'), { 'Content-Type': 'application/json' }, true);

    await expect(parse(request, 10)).resolves.toBe('a'.repeat(8));
  });

  it.each([
    ['no content type', {}],
    ['text/plain', { 'Content-Type': 'text/plain' }],
    ['form data', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['a type that only contains json', { 'Content-Type': 'application/jsonp' }],
  ])('refuses %s with 415', async (_case, headers: Record<string, string>) => {
    await expect(parse(requestWith('{}', headers))).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
  });

  it('refuses malformed JSON with a validation error on "body"', async () => {
    const error = await parse(requestWith('{"title":')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([{ path: 'body', message: 'is not valid JSON' }]);
  });

  it('refuses a lone surrogate (UTF-8 cannot hold it) with a validation error naming the field', async () => {
    const error = await parse(requestWith('{"title":"ok","nested":{"text":"a\\ud800"}}')).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { path: 'body.nested.text', message: 'is not well-formed Unicode (a lone surrogate)' },
    ]);
  });

  it('refuses a lone surrogate in a key, and keeps well-formed emoji', async () => {
    await expect(parse(requestWith('{"\\udfffx":1}'))).rejects.toBeInstanceOf(ValidationError);
    await expect(parse(requestWith('{"title":"\\ud83d\\ude00 😀"}'))).resolves.toEqual({ title: '😀 😀' });
  });

  it('walks deep JSON without running out of stack', async () => {
    const deep = '['.repeat(5_000) + '"\\ud800"' + ']'.repeat(5_000);
    await expect(parse(requestWith(deep), 100_000)).rejects.toBeInstanceOf(ValidationError);
  });
});
