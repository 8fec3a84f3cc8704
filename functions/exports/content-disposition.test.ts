import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportFileName } from '#chat/domain/export';
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
    // Letters that show nothing (Hangul fillers) and a variation selector are no name.
    ['\u3164\u3164', 'conversation.md'],
    ['Plan\u3164\ufe0f', 'plan.md'],
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

  it('gives one name to a title in ASCII: the two names take the same words', () => {
    expect(attachmentDisposition(exportFileName('Q&A - notes', 'markdown'), 'Q&A - notes')).toBe(
      'attachment; filename="qa-notes.md"',
    );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'aZ9 -_&./:é'.split('')), maxLength: 80 }),
        (title) => {
          const disposition = attachmentDisposition(exportFileName(title, 'json'), title);
          // Only a title with a letter ASCII lacks (é) has a second name
          expect(disposition.includes('filename*')).toBe(title.includes('é'));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('adds the UTF-8 name, percent-encoded, when the title has', () => {
    expect(attachmentDisposition('strae.json', 'Straße')).toBe(
      `attachment; filename="strae.json"; filename*=UTF-8''stra%C3%9Fe.json`,
    );
  });
});
