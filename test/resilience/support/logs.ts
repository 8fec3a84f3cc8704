/**
 * The JSON log lines written to stdout and stderr (Powertools writes each line itself), kept
 * while `collecting`, else swallowed: at INFO the fault and abuse tests would flood the output.
 * Only what `keep` takes from a line is kept. Output that is no JSON line passes through.
 */
export interface LogCapture<T> {
  collecting: boolean;
  readonly lines: T[];
  /** Gives the streams their own `write` back. */
  stop(): void;
}

export function captureLogs<T>(keep: (line: Record<string, unknown>) => T): LogCapture<T> {
  const capture: LogCapture<T> = { collecting: false, lines: [], stop: () => {} };
  // The streams' write is replaced, not spied on: a spy keeps every chunk written (mock.calls),
  // which the soak would count as heap growth.
  const restores = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write;
    const write = original.bind(stream);
    stream.write = ((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        let parsed: Record<string, unknown> | undefined;
        try {
          parsed = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : undefined;
        } catch {
          parsed = undefined;
        }
        if (!parsed) write(`${line}\n`);
        else if (capture.collecting) capture.lines.push(keep(parsed));
      }
      return true;
    }) as typeof stream.write;
    return () => {
      stream.write = original;
    };
  });
  capture.stop = () => restores.forEach((restore) => restore());
  return capture;
}
