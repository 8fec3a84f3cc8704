/**
 * A server-sent events parser for a `fetch` body. EventSource cannot POST or send the
 * Authorization header, so chat replies are read from a ReadableStream instead; this follows the
 * WHATWG event-stream rules: lines end in CRLF, LF or CR (a CR at the end of one chunk and the LF
 * at the start of the next are one line end), `:` starts a comment (keep-alives), a blank line
 * dispatches, `data` lines join with a newline, and an event without data is not dispatched.
 */

export interface SseEvent {
  /** The `event` field, or `message` when the frame named none. */
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

export interface SseParser {
  /** Feeds the next piece of text, which may end anywhere: mid-line, mid-frame. */
  push(chunk: string): void;
  /** The stream ended: a frame not closed by a blank line is dropped, as the spec says. */
  end(): void;
}

export function createSseParser(onEvent: (event: SseEvent) => void): SseParser {
  let buffer = '';
  /** The previous chunk ended in CR, so an LF starting this one belongs to that line end. */
  let skipLeadingLf = false;
  let eventName = '';
  let data: string[] = [];
  let lastId: string | undefined;

  function dispatch(): void {
    if (data.length > 0) onEvent({ event: eventName || 'message', data: data.join('\n'), id: lastId });
    eventName = '';
    data = [];
  }

  function line(text: string): void {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') eventName = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) lastId = value;
    // `retry` and unknown fields are ignored: the client does not reconnect by itself.
  }

  return {
    push(chunk: string): void {
      if (skipLeadingLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
      skipLeadingLf = false;
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer[i];
        if (char !== '\r' && char !== '\n') continue;
        line(buffer.slice(start, i));
        if (char === '\r') {
          if (i + 1 === buffer.length) skipLeadingLf = true;
          else if (buffer[i + 1] === '\n') i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    end(): void {
      buffer = '';
      eventName = '';
      data = [];
    },
  };
}

/** The events of a response body, as they arrive. Aborting the fetch ends the iteration with its error. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const queue: SseEvent[] = [];
  const parser = createSseParser((event) => queue.push(event));
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // `stream: true` keeps a UTF-8 sequence split across chunks for the next one.
      parser.push(decoder.decode(value, { stream: true }));
      while (queue.length > 0) yield queue.shift() as SseEvent;
    }
    finished = true;
    parser.push(decoder.decode());
    parser.end();
  } finally {
    // The reader stopped early (a `break`, or an error): let the server know nobody is listening.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}
