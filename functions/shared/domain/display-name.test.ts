import { describe, expect, it } from 'vitest';
import { displayNameFor } from './display-name';

// The name attribute is set in Cognito, outside Parley's API (an administrator, an import), so
// nothing refuses it: what would show as a blank or reordered name is made harmless here.
describe('displayNameFor a name set in Cognito', () => {
  it.each([
    ['a zero-width space', '\u200b'],
    ['a Hangul filler', '\u3164'],
    ['a blank Braille pattern and a word joiner', '\u2800\u2060'],
    ['a right-to-left override', '\u202e'],
  ])('of %s only falls back to the e-mail local part', (_case, name) => {
    expect(displayNameFor('ada@example.com', name)).toBe('ada');
  });

  it('leaves out bidirectional embeddings, overrides and isolates, and keeps the marks', () => {
    expect(displayNameFor('eve@example.com', 'Eve \u202enimdA\u202c')).toBe('Eve nimdA');
    expect(displayNameFor('dan@example.com', '\u2067דני\u2069 \u200fCohen')).toBe('דני \u200fCohen');
  });

  it('trims the blanks that show nothing around a name, as it trims spaces', () => {
    expect(displayNameFor('kim@example.com', '\u200b\u3164Kim\u2800\ufeff')).toBe('Kim');
  });

  it('makes the e-mail local part harmless too, when it is the name', () => {
    expect(displayNameFor('\u202eeve@example.com', null)).toBe('eve');
    expect(displayNameFor('\u200b\u202e@example.com', '')).toBe('@example.com');
  });

  it('keeps a name that shows as it is', () => {
    expect(displayNameFor('zoe@example.com', ' Zoe\u0308 👩\u200d💻 ')).toBe('Zoe\u0308 👩\u200d💻');
  });
});
