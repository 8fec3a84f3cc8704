import { describe, expect, it } from 'vitest';
import { attachmentDisposition, unicodeFileName } from './content-disposition';

describe('unicodeFileName', () => {
  it.each([
    ['会议纪要', '会议纪要.md'],
    ['Привет, мир!', 'привет-мир.md'],
    // Decomposed é (e + U+0301) is composed, as file systems and browsers expect.
    ['Re\u0301sume\u0301 review', 'résumé-review.md'],
    ['évil\u202egpj.exe', 'évilgpjexe.md'],
    ['../../etc/passwd', 'etcpasswd.md'],
    ['  --  Notes  --  ', 'notes.md'],
    ['🙂 ? !', 'conversation.md'],
  ])('names the title %j %j', (title, name) => {
    expect(unicodeFileName(title, 'md')).toBe(name);
  });

  it('keeps 60 characters, counted as characters, not UTF-16 units', () => {
    const name = unicodeFileName('𝒜'.repeat(80), 'json');

    expect(Array.from(name.replace(/\.json$/, ''))).toHaveLength(60);
  });
});

describe('attachmentDisposition', () => {
  it('gives the ASCII name alone when the title has no other letters', () => {
    expect(attachmentDisposition('trip-plans.md', 'Trip plans')).toBe('attachment; filename="trip-plans.md"');
  });

  it('adds the UTF-8 name, percent-encoded, when the title has', () => {
    expect(attachmentDisposition('strae.json', 'Straße')).toBe(
      `attachment; filename="strae.json"; filename*=UTF-8''stra%C3%9Fe.json`,
    );
  });
});
