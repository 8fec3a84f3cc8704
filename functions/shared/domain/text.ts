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

/**
 * A character that shows: anything but white space, control and format characters (zero-width
 * space, joiners, direction marks, BOM, tags), nonspacing marks on their own (an accent with
 * nothing to sit on), default-ignorable fillers (Hangul filler U+3164, U+115F, U+1160, U+FFA0;
 * variation selectors), the blank Braille pattern U+2800 and the musical null notehead U+1D159,
 * a symbol drawn as nothing. Text made only of these looks empty on every screen. A spacing mark
 * (Devanagari ा U+093E) and an enclosing one (⃝ U+20DD) take room of their own and are drawn.
 */
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Cf}\p{Mn}\p{Default_Ignorable_Code_Point}\u2800\u{1d159}]/u;

/**
 * Whether `text` has at least one character that shows: a title, a message or a comment of only
 * invisible characters (U+200B, U+FEFF, U+3164, a lone accent…) is empty to its reader.
 */
export function hasVisibleCharacter(text: string): boolean {
  return VISIBLE.test(text);
}

/**
 * Blanks that do nothing at either end of a text: white space, controls, zero-width space, word
 * joiner, BOM, soft hyphen, fillers (U+115F, U+1160, U+3164, U+FFA0), the blank Braille pattern
 * and the musical null notehead. Not marks, variation selectors or joiners (at the end they
 * belong to what they follow: Café with its accent, ❤️, 👩‍💻) nor direction marks (which set a
 * title's direction).
 */
const EDGE_BLANKS =
  '[\\p{White_Space}\\p{Cc}\\u00ad\\u115f\\u1160\\u200b\\u2060\\u2800\\u3164\\ufeff\\uffa0\\u{1d159}]+';
const BLANK_EDGES = new RegExp(`^${EDGE_BLANKS}|${EDGE_BLANKS}$`, 'gu');

/**
 * `text` without the blanks that show nothing at its ends (as `trim` takes off spaces), for a
 * name or title made from text nobody typed as one: a zero-width space or a filler around it
 * would make two names that read the same differ.
 */
export function trimInvisible(text: string): string {
  return text.replace(BLANK_EDGES, '');
}

/**
 * The explicit bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069):
 * one left open reorders the text after it ("Trojan Source", CVE-2021-42574), so a short label
 * can be made to read as something else. The marks (U+200E, U+200F, U+061C) only set a
 * direction, reorder nothing beyond their neighbours, and stay allowed.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;

/** Whether `text` holds a bidirectional embedding, override or isolate control. */
export function hasBidiControls(text: string): boolean {
  return BIDI_CONTROLS.test(text);
}

const EVERY_BIDI_CONTROL = new RegExp(BIDI_CONTROLS.source, 'g');

/** `text` without the controls `hasBidiControls` finds. */
export function withoutBidiControls(text: string): string {
  return text.replace(EVERY_BIDI_CONTROL, '');
}
