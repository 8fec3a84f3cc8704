/**
 * What someone has typed and not sent, one draft per conversation ("new" for the new-chat page),
 * in this tab's sessionStorage: it outlives the composer (Search, the console, a reload) but not
 * the tab, and it is cleared whenever the app shows the sign-in page (app.tsx), so nobody who
 * signs in next in this tab sees it.
 */

const PREFIX = 'parley.draft:';

/** This tab's sessionStorage, or undefined where it is refused (a private mode, a sandbox). */
export function draftStorage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

function keyOf(conversationId: string | null): string {
  return `${PREFIX}${conversationId ?? 'new'}`;
}

export function readDraft(storage: Storage | undefined, conversationId: string | null): string {
  try {
    return storage?.getItem(keyOf(conversationId)) ?? '';
  } catch {
    return '';
  }
}

/** Keeps `text` as the conversation's draft; an empty one is removed. */
export function saveDraft(storage: Storage | undefined, conversationId: string | null, text: string): void {
  try {
    if (text) storage?.setItem(keyOf(conversationId), text);
    else storage?.removeItem(keyOf(conversationId));
  } catch {
    // Storage full or refused: the draft lives in the composer alone, as it did before.
  }
}

/**
 * A message sent from a conversation's composer that the server has not yet been seen to hold:
 * its text, and the latest message shown when it was sent (null: none). Kept beside the draft so
 * that a composer mounted anew (after Search, the console) knows the draft it shows was sent.
 */
export interface SentDraft {
  readonly content: string;
  readonly after: string | null;
}

function sentKeyOf(conversationId: string | null): string {
  return `${keyOf(conversationId)}:sent`;
}

export function readSent(storage: Storage | undefined, conversationId: string | null): SentDraft | null {
  try {
    const value: unknown = JSON.parse(storage?.getItem(sentKeyOf(conversationId)) ?? 'null');
    if (typeof value !== 'object' || value === null) return null;
    const { content, after } = value as Record<string, unknown>;
    return typeof content === 'string' && (typeof after === 'string' || after === null)
      ? { content, after }
      : null;
  } catch {
    return null;
  }
}

/** Keeps (or, for null, forgets) the message sent from this conversation's composer. */
export function saveSent(
  storage: Storage | undefined,
  conversationId: string | null,
  sent: SentDraft | null,
): void {
  try {
    if (sent) storage?.setItem(sentKeyOf(conversationId), JSON.stringify(sent));
    else storage?.removeItem(sentKeyOf(conversationId));
  } catch {
    // Storage full or refused: the composer knows it while it is shown.
  }
}

/** Removes every draft of this tab. */
export function clearDrafts(storage: Storage | undefined): void {
  if (!storage) return;
  try {
    for (let i = storage.length - 1; i >= 0; i--) {
      const key = storage.key(i);
      if (key?.startsWith(PREFIX)) storage.removeItem(key);
    }
  } catch {
    // Refused: nothing was stored either.
  }
}

/** A message given back to the composer, before what was typed there since (nothing is lost). */
export function withTakenBack(takenBack: string, typed: string): string {
  return typed.trim() ? `${takenBack}\n\n${typed}` : takenBack;
}
