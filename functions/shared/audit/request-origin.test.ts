import { describe, expect, it } from 'vitest';

import {
  cleanOriginPart,
  forgetRequestOrigin,
  rememberRequestOrigin,
  requestOriginOf,
} from './request-origin';

describe('request origins', () => {
  it('keeps an origin for its request until it is forgotten', () => {
    rememberRequestOrigin('req-a', { sourceIp: '192.0.2.1', userAgent: 'ua' });
    expect(requestOriginOf('req-a')).toEqual({ sourceIp: '192.0.2.1', userAgent: 'ua' });
    expect(requestOriginOf('req-b')).toBeUndefined();
    expect(requestOriginOf(undefined)).toBeUndefined();
    forgetRequestOrigin('req-a');
    expect(requestOriginOf('req-a')).toBeUndefined();
  });

  it('keeps at most 1000 requests, dropping the oldest', () => {
    for (let i = 0; i < 1001; i++) rememberRequestOrigin(`bulk-${i}`, { sourceIp: null, userAgent: null });
    expect(requestOriginOf('bulk-0')).toBeUndefined();
    expect(requestOriginOf('bulk-1000')).toBeDefined();
    for (let i = 0; i < 1001; i++) forgetRequestOrigin(`bulk-${i}`);
  });

  it.each([
    [undefined, null],
    [42, null],
    ['   ', null],
    ['a\u0000b\u001bc\u007f', 'abc'],
    ['x'.repeat(600), 'x'.repeat(512)],
    // Lone surrogates become U+FFFD (jsonb holds none); the cut at 512 never splits a pair.
    ['a\ud800b\udfffc', 'a\ufffdb\ufffdc'],
    ['\u{1F600} ok', '\u{1F600} ok'],
    [`${'x'.repeat(511)}\u{1F600}`, 'x'.repeat(511)],
  ])('stores %j as %j', (input, expected) => {
    expect(cleanOriginPart(input)).toBe(expected);
  });
});
