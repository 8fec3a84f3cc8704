import { describe, expect, it } from 'vitest';

import { createSseParser, readSse } from '@/lib/sse';
import type { SseEvent } from '@/lib/sse';

function parse(chunks: readonly string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

function stream(chunks: readonly (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks)
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

describe('createSseParser', () => {
  it('parses a named event with JSON data', () => {
    expect(parse(['event: delta\ndata: {"text":"Hi"}\n\n'])).toEqual([
      { event: 'delta', data: '{"text":"Hi"}', id: undefined },
    ]);
  });

  it('joins a frame split anywhere across chunks, even mid-field', () => {
    const frame = 'event: delta\ndata: {"text":"Hello"}\n\n';
    for (let cut = 1; cut < frame.length; cut++) {
      expect(parse([frame.slice(0, cut), frame.slice(cut)])).toEqual([
        { event: 'delta', data: '{"text":"Hello"}', id: undefined },
      ]);
    }
  });

  it('dispatches several events from one chunk, in order', () => {
    const events = parse([
      'event: message\ndata: {"id":1}\n\nevent: delta\ndata: {"text":"a"}\n\nevent: done\ndata: {}\n\n',
    ]);
    expect(events.map((e) => e.event)).toEqual(['message', 'delta', 'done']);
  });

  it('ignores comments and keep-alives between events', () => {
    const events = parse([': keep-alive\n\n', 'event: delta\n: a comment inside\ndata: x\n\n', ':\n\n']);
    expect(events).toEqual([{ event: 'delta', data: 'x', id: undefined }]);
  });

  it('accepts CRLF and CR line ends, also with the CR and LF in different chunks', () => {
    expect(parse(['event: a\r\ndata: 1\r\n\r\n', 'event: b\rdata: 2\r\r'])).toEqual([
      { event: 'a', data: '1', id: undefined },
      { event: 'b', data: '2', id: undefined },
    ]);
    expect(parse(['event: c\r', '\ndata: 3\r', '\n\r', '\n'])).toEqual([
      { event: 'c', data: '3', id: undefined },
    ]);
  });

  it('joins multi-line data with newlines and defaults the event name to message', () => {
    expect(parse(['data: one\ndata: two\ndata:three\n\n'])).toEqual([
      { event: 'message', data: 'one\ntwo\nthree', id: undefined },
    ]);
  });

  it('keeps the last event id and ignores unknown fields and retry', () => {
    expect(parse(['id: 7\nretry: 1000\nfoo: bar\ndata: x\n\n'])).toEqual([
      { event: 'message', data: 'x', id: '7' },
    ]);
  });

  it('does not dispatch a frame without data, nor one left open when the stream ends', () => {
    expect(parse(['event: empty\n\n', 'event: cut\ndata: partial'])).toEqual([]);
  });
});

describe('readSse', () => {
  it('yields the events of a byte stream, with a UTF-8 character split across chunks', async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"text":"é"}\n\n');
    const split = bytes.indexOf(0xc3) + 1;
    const events: SseEvent[] = [];
    for await (const event of readSse(stream([bytes.slice(0, split), bytes.slice(split), ': ping\n\n']))) {
      events.push(event);
    }
    expect(events).toEqual([{ event: 'delta', data: '{"text":"é"}', id: undefined }]);
  });

  it('cancels the body when the reader stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of readSse(body)) {
      expect(event.data).toBe('1');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
