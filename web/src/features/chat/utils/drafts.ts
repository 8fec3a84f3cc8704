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
