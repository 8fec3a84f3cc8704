/**
 * Server-sent events from a response body, comments, events without data and an unfinished last
 * event left out. Imports nothing, so any test process (the resilience suite captures its own
 * output) can load it as it is.
 */
export interface ServerSentEvent {
  readonly event: string;
  /** The data lines joined, parsed as JSON; the raw text when it is not JSON. */
  readonly data: unknown;
}

export function parseServerSentEvents(text: string): ServerSentEvent[] {
  return readEventStream(text).events.map(({ event, data }) => {
    try {
      return { event, data: JSON.parse(data) as unknown };
    } catch {
      return { event, data };
    }
  });
}

/** One server-sent event as OpenAPI 3.2 models it: its fields, `data` as sent (text). */
export interface StreamedEvent {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

/**
 * The events of a text/event-stream body, read as the HTML standard's parser reads them: lines
 * of `field: value` (one optional space after the colon), `:` comments ignored, an event sent at
 * each blank line when it has data, its type `message` unless it names one. `rest` is what came
 * after the last complete event.
 */
export function readEventStream(text: string): { events: StreamedEvent[]; rest: string } {
  const events: StreamedEvent[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  let current: { event?: string; data?: string[]; id?: string; retry?: number } = {};
  let after = 0;
  // The last piece has no line break after it: a line still being written, not yet one.
  lines.slice(0, -1).forEach((line, index) => {
    if (line === '') {
      if (current.data) {
        const { data, event = 'message', ...rest } = current;
        events.push({ event, data: data.join('\n'), ...rest });
      }
      current = {};
      after = index + 1;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    if (field === 'event') current.event = value;
    else if (field === 'data') (current.data ??= []).push(value);
    else if (field === 'id' && !value.includes('\0')) current.id = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) current.retry = Number(value);
  });
  return { events, rest: lines.slice(after).join('\n') };
}
