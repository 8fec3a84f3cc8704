/**
 * The first `max` UTF-16 units of `text`, one fewer where the cut would fall inside a surrogate
 * pair (an emoji, say): a cut never leaves half a character, which PostgreSQL's jsonb refuses,
 * text stores as U+FFFD and a screen shows as �.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/**
 * `text` with each lone surrogate (half of a pair, alone) as U+FFFD, as `String#toWellFormed`
 * does: PostgreSQL's jsonb refuses one, and text would store U+FFFD anyway.
 */
export function wellFormed(text: string): string {
  return text.replace(/\p{Surrogate}/gu, '\ufffd');
}
