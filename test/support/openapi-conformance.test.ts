import { describe, expect, it } from 'vitest';
import { API_HEADERS } from '../../functions/shared/http/headers';
import { conformanceProblems, type Answer } from './openapi-conformance';

const headers: Record<string, string> = {
  ...Object.fromEntries(Object.entries(API_HEADERS).map(([k, v]) => [k.toLowerCase(), v])),
  'cache-control': 'no-store',
  'x-request-id': 'req-1',
  'content-type': 'application/json',
};
const conversation = {
  id: '0b6f0a5e-8d3c-4c57-9a3e-5f6d7e8f9a0b',
  title: 'A title',
  createdAt: '2026-12-03T05:00:00.000Z',
  updatedAt: '2026-12-03T05:00:00.000Z',
  messageCount: 0,
};
const created: Answer = {
  method: 'POST',
  resource: '/api/conversations',
  status: 201,
  headers,
  text: JSON.stringify(conversation),
};
const problem = (status: number) =>
  JSON.stringify({ type: 'urn:parley:problem:x', title: 'X', status, detail: 'x', requestId: 'req-1' });

describe('the validating proxy in front of the tests', () => {
  it('passes an answer the document allows', () => {
    expect(conformanceProblems(created)).toEqual([]);
    expect(
      conformanceProblems({
        ...created,
        status: 429,
        headers: { ...headers, 'content-type': 'application/problem+json', 'retry-after': '3' },
        text: problem(429),
      }),
    ).toEqual([]);
  });

  it('finds a status the operation does not declare', () => {
    expect(conformanceProblems({ ...created, status: 404, text: problem(404) })).toEqual([
      expect.stringContaining('conversations.create does not declare 404'),
    ]);
  });

  it('finds a body outside the schema, naming the property', () => {
    const [found] = conformanceProblems({
      ...created,
      text: JSON.stringify({ ...conversation, owner: 'x' }),
    });
    expect(found).toContain('must NOT have additional properties (owner)');
    expect(conformanceProblems({ ...created, text: JSON.stringify({ ...conversation, id: 'no' }) })).toEqual([
      expect.stringContaining('/id must match format "uuid"'),
    ]);
  });

  it('finds a media type the status does not declare, and a body that is not JSON', () => {
    expect(conformanceProblems({ ...created, headers: { ...headers, 'content-type': 'text/html' } })).toEqual(
      [expect.stringContaining('Content-Type "text/html" is not one of application/json')],
    );
    expect(conformanceProblems({ ...created, text: '<html>' })).toEqual([
      expect.stringContaining('the body is not JSON'),
    ]);
  });

  it('finds a missing or wrong security header, and a 429 without Retry-After', () => {
    const { 'strict-transport-security': _, ...withoutHsts } = headers;
    expect(conformanceProblems({ ...created, headers: withoutHsts })).toEqual([
      expect.stringContaining('the required header Strict-Transport-Security is missing'),
    ]);
    expect(
      conformanceProblems({ ...created, headers: { ...headers, 'x-content-type-options': 'sniff' } }),
    ).toEqual([expect.stringContaining('header X-Content-Type-Options "sniff"')]);
    expect(
      conformanceProblems({
        ...created,
        status: 429,
        headers: { ...headers, 'content-type': 'application/problem+json' },
        text: problem(429),
      }),
    ).toEqual([expect.stringContaining('the required header Retry-After is missing')]);
  });

  it('finds a body where the status declares none, and skips the body of a stream the client cut', () => {
    const deleted: Answer = {
      method: 'DELETE',
      resource: '/api/conversations/{id}',
      status: 204,
      headers,
      text: '',
    };
    expect(conformanceProblems(deleted)).toEqual([]);
    expect(conformanceProblems({ ...deleted, text: '{}' })).toEqual([
      expect.stringContaining('declares no body'),
    ]);
    expect(conformanceProblems({ ...created, text: '{"id":', cut: true })).toEqual([]);
  });

  it('finds a route the document does not have', () => {
    expect(conformanceProblems({ ...created, resource: '/api/nowhere' })).toEqual([
      'POST /api/nowhere is not in the document',
    ]);
  });
});
