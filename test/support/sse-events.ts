/**
 * Server-sent events from a response body, comments and empty blocks left out. Imports nothing,
 * so any test process (the resilience suite captures its own output) can load it as it is.
 */
export interface ServerSentEvent {
  readonly event: string;
  /** The data lines joined, parsed as JSON; the raw text when it is not JSON. */
  readonly data: unknown;
}

export function parseServerSentEvents(text: string): ServerSentEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      try {
        return { event, data: JSON.parse(data) as unknown };
      } catch {
        return { event, data };
      }
    });
}
