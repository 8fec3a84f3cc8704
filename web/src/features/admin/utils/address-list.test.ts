import { describe, expect, it } from 'vitest';

import { INVITE_BATCH_MAX, parseAddresses } from './address-list';

describe('parseAddresses', () => {
  it('takes lines, commas, semicolons and spaces, lower-cases, and keeps each address once in order', () => {
    const parsed = parseAddresses(
      'Ada@Example.org\nbob@example.org, carol@example.org;dan@example.org  ADA@example.org\n\n',
    );
    expect(parsed).toEqual({
      addresses: ['ada@example.org', 'bob@example.org', 'carol@example.org', 'dan@example.org'],
      invalid: [],
      repeated: 1,
    });
  });

  it('takes the address out of "Name <address>", as mail clients copy them', () => {
    expect(
      parseAddresses(
        'Ada Lovelace <ada@example.org>, "Bob, B." <bob@example.org>\nCarol <carol@example.org>',
      ),
    ).toEqual({
      addresses: ['ada@example.org', 'bob@example.org', 'carol@example.org'],
      invalid: [],
      repeated: 0,
    });
  });

  it('names what is not an address, as typed, and never lets it through', () => {
    const parsed = parseAddresses(
      `ok@example.org\nnot-an-address\n@example.org\nx@y\n${'a'.repeat(250)}@example.org\n<script>@x.org\n=cmd@x`,
    );
    expect(parsed.addresses).toEqual(['ok@example.org']);
    expect(parsed.invalid).toEqual([
      'not-an-address',
      '@example.org',
      'x@y',
      `${'a'.repeat(250)}@example.org`,
      '<script>@x.org',
      '=cmd@x',
    ]);
  });

  it('finds nothing in blank text, and counts every address of a long list', () => {
    expect(parseAddresses(' \n\t ,;')).toEqual({ addresses: [], invalid: [], repeated: 0 });
    const many = Array.from({ length: INVITE_BATCH_MAX + 1 }, (_, i) => `p${i}@example.org`).join('\n');
    expect(parseAddresses(many).addresses).toHaveLength(INVITE_BATCH_MAX + 1);
  });
});
