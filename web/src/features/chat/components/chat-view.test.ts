import { describe, expect, it } from 'vitest';

import { linkedMessageId, replyAnnouncement } from '@/features/chat/components/chat-view';

describe('linkedMessageId', () => {
  it('reads the message a link points at from its fragment', () => {
    expect(linkedMessageId('#m-0b6f2a52-8f5e-4a51-9d0e-3c8a1f4b2e77')).toBe(
      '0b6f2a52-8f5e-4a51-9d0e-3c8a1f4b2e77',
    );
    expect(linkedMessageId('#m-a%20b')).toBe('a b');
  });

  it('links to no message when there is no such fragment', () => {
    expect(linkedMessageId('')).toBeNull();
    expect(linkedMessageId('#m-')).toBeNull();
    expect(linkedMessageId('#top')).toBeNull();
  });

  it('links to no message, instead of throwing, when the fragment cannot be decoded', () => {
    expect(linkedMessageId('#m-%')).toBeNull();
    expect(linkedMessageId('#m-%E0%A4%A')).toBeNull();
    expect(linkedMessageId('#m-abc%zz')).toBeNull();
  });
});

describe('replyAnnouncement', () => {
  it('says the reply as plain text, not its Markdown', () => {
    expect(replyAnnouncement('**Note**: see [the guide](https://example.com) and `npm start`.')).toBe(
      'Parley replied: Note: see the guide and npm start.',
    );
  });

  it('reads a long reply to 1,000 characters of its text, never half an emoji', () => {
    const announced = replyAnnouncement(`**${'a'.repeat(999)}🙂${'b'.repeat(100)}**`);
    expect(announced).toBe(`Parley replied: ${'a'.repeat(999)}…`);
    expect(replyAnnouncement(`# ${'c'.repeat(1_000)}`)).toBe(`Parley replied: ${'c'.repeat(1_000)}`);
  });
});
