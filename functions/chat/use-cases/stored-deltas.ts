/**
 * The reply's text as it streams, stored before the client sees it: every delta passed to `emit`
 * is already saved. Saves are coalesced: while one is in flight, deltas gather, and the next save
 * writes them all, so a fast model costs one write per round trip, not one per token.
 */
export class StoredDeltas {
  private stored = '';
  private pending = '';
  private writing: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly save: (content: string) => Promise<void>,
    private readonly emit: (text: string) => void,
    /** Told of the first failed save at once (text pushed after it is neither saved nor shown). */
    private readonly failed: (error: unknown) => void = () => {},
  ) {}

  /** All the text received so far, saved or not. */
  get text(): string {
    return this.stored + this.pending;
  }

  push(text: string): void {
    if (text.length === 0 || this.failure !== undefined) return;
    this.pending += text;
    this.writing ??= this.drain();
  }

  /** Waits until everything pushed is saved and emitted; throws the first save failure. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure !== undefined) throw this.failure;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 && this.failure === undefined) {
      const batch = this.pending;
      this.pending = '';
      try {
        await this.save(this.stored + batch);
        this.stored += batch;
        this.emit(batch);
      } catch (error) {
        // Not emitted, so not lost: `text` still holds it for the final write.
        this.pending = batch + this.pending;
        this.failure = error;
        this.failed(error);
      }
    }
    this.writing = undefined;
  }
}
