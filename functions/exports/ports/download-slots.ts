/** A slot held for one download, given back when it ends. */
export type ReleaseSlot = () => Promise<void>;

/** Counts each owner's downloads in flight, up to a bound (domain/downloads-in-flight.ts). */
export interface DownloadSlots {
  readonly perOwner: number;
  /** A slot for one more download of the owner's and its release; undefined when all are taken. */
  take(ownerId: string): Promise<ReleaseSlot | undefined>;
}
