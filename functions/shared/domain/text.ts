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

/** Control characters other than tab, newline and carriage return (NUL included). */
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Whether `text` holds a control character other than a tab or a line break (NUL included). */
export function hasControlCharacters(text: string): boolean {
  return CONTROL_BUT_LINE_BREAKS.test(text);
}

const EVERY_CONTROL_BUT_LINE_BREAKS = new RegExp(CONTROL_BUT_LINE_BREAKS.source, 'g');

/** `text` without the control characters `hasControlCharacters` finds (the web app offers it). */
export function withoutControlCharacters(text: string): string {
  return text.replace(EVERY_CONTROL_BUT_LINE_BREAKS, '');
}
