import { describe, expect, it } from 'vitest';
import { API_HEADERS } from '../../functions/shared/http/headers';
import { conformanceProblems, type Answer } from './openapi-conformance';
import { readEventStream } from './sse-events';

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
    expect(conformanceProblems({ ...created, status: 422, text: problem(422) })).toEqual([
      expect.stringContaining('conversations.create does not declare 422'),
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

  describe('a stream of server-sent events', () => {
    const message = (role: 'user' | 'assistant', status: 'complete' | 'streaming' | 'failed') => ({
      id: '6a1f0a5e-8d3c-4c57-9a3e-5f6d7e8f9a0b',
      conversationId: conversation.id,
      role,
      content: role === 'user' ? 'Hello' : '',
      status,
      model: role === 'user' ? null : 'gpt-x',
      usage: { promptTokens: 0, completionTokens: 0 },
      error: null,
      stopped: false,
      truncated: false,
      createdAt: conversation.createdAt,
    });
    const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    const sent: Answer = {
      method: 'POST',
      resource: '/api/conversations/{id}/messages',
      status: 200,
      headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8' },
      text: [
        frame('message', message('user', 'complete')),
        frame('reply', message('assistant', 'streaming')),
        ': keep-alive\n\n',
        frame('delta', { text: 'Hi' }),
        frame('done', { ...message('assistant', 'complete'), content: 'Hi' }),
      ].join(''),
    };
    const regenerated: Answer = {
      ...sent,
      resource: '/api/conversations/{id}/messages/{messageId}/regenerate',
      text: [frame('message', message('assistant', 'streaming')), frame('delta', { text: 'Hi' })].join(''),
    };

    it('passes the events a route declares, each with data that matches its schema', () => {
      expect(conformanceProblems(sent)).toEqual([]);
      expect(conformanceProblems(regenerated)).toEqual([]);
      const failed = {
        ...JSON.parse(problem(503)),
        retryAfter: 30,
        message: { ...message('assistant', 'failed'), error: 'The model is unavailable.' },
      };
      expect(conformanceProblems({ ...sent, text: frame('error', failed) })).toEqual([]);
    });

    it('finds an event the route does not send', () => {
      // A reply written again sends no `reply` event: the route knows the reply already.
      const [found] = conformanceProblems({
        ...regenerated,
        text: frame('reply', message('assistant', 'streaming')),
      });
      expect(found).toBe(
        'messages.regenerate 200: event 0 (reply) is not one it sends (message, delta, done, error)',
      );
      expect(conformanceProblems({ ...sent, text: 'event: ping\ndata: {}\n\n' })).toEqual([
        expect.stringContaining('event 0 (ping) is not one it sends'),
      ]);
    });

    it("finds an event whose data is not its schema's, or not JSON", () => {
      expect(conformanceProblems({ ...sent, text: frame('delta', { text: 1 }) })).toEqual([
        expect.stringContaining('event 0 (delta): its data: /text must be string'),
      ]);
      expect(
        conformanceProblems({
          ...sent,
          text: frame('done', {
            ...message('assistant', 'complete'),
            usage: { promptTokens: -1, completionTokens: 0 },
          }),
        }),
      ).toEqual([expect.stringContaining('event 0 (done): its data: /usage/promptTokens must be >= 0')]);
      expect(conformanceProblems({ ...sent, text: 'event: delta\ndata: Hi\n\n' })).toEqual([
        expect.stringContaining('event 0 (delta): its data is not JSON: Hi'),
      ]);
    });

    it('finds a stream that ends inside an event, unless the client cut it', () => {
      const half = `${frame('delta', { text: 'Hi' })}event: done\ndata: {"id"`;
      expect(conformanceProblems({ ...sent, text: half })).toEqual([
        expect.stringContaining('the stream ends inside an event: event: done'),
      ]);
      expect(conformanceProblems({ ...sent, text: half, cut: true })).toEqual([]);
    });
  });
});

describe('reading a stream of server-sent events as the HTML standard does', () => {
  it('joins data lines, takes one space after the colon, ignores comments and events without data', () => {
    const { events, rest } = readEventStream(
      ': a comment\r\nevent: delta\r\ndata:{"a":\ndata:  1}\nid: 7\nretry: x\n\nevent: empty\n\ndata\n\r\ndata: tail',
    );
    expect(events).toEqual([
      { event: 'delta', data: '{"a":\n 1}', id: '7' },
      { event: 'message', data: '' },
    ]);
    expect(rest).toBe('data: tail');
  });

  it('leaves nothing over when the stream ends with a blank line', () => {
    expect(readEventStream('retry: 10\ndata: x\n\n')).toEqual({
      events: [{ event: 'message', data: 'x', retry: 10 }],
      rest: '',
    });
  });
});
