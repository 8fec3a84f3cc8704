import { describe, expect, it } from 'vitest';
import { encodeCommand, RespError, RespParser, RespProtocolError, type RespReply } from './resp-parser';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** Every reply the parser yields when the stream arrives in the given pieces. */
function parseChunks(chunks: Buffer[]): RespReply[] {
  const parser = new RespParser();
  return chunks.flatMap((chunk) => parser.feed(chunk));
}

/** A stream of several replies of every kind, and what it means. */
const STREAM = bytes(
  '+OK\r\n' +
    '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n' +
    ':42\r\n' +
    ':-7\r\n' +
    '$5\r\nhello\r\n' +
    '$0\r\n\r\n' +
    '$-1\r\n' +
    '*-1\r\n' +
    '*0\r\n' +
    '*2\r\n:3\r\n-ERR value is not an integer or out of range\r\n' +
    '*2\r\n*1\r\n+nested\r\n$4\r\nl\u00e9\r\r\n' +
    '$8\r\na\0b\r\nc\u00e9\r\n',
);
const MEANING: unknown[] = [
  'OK',
  new RespError('WRONGTYPE Operation against a key holding the wrong kind of value'),
  42,
  -7,
  'hello',
  '',
  null,
  null,
  [],
  [3, new RespError('ERR value is not an integer or out of range')],
  [['nested'], 'l\u00e9\r'],
  'a\0b\r\nc\u00e9',
];

describe('RespParser', () => {
  it('reads every RESP2 reply type from one chunk holding many replies', () => {
    expect(parseChunks([STREAM])).toEqual(MEANING);
  });

  it('reads the same replies however the stream is split in two', () => {
    for (let at = 0; at <= STREAM.length; at++)
      expect(parseChunks([STREAM.subarray(0, at), STREAM.subarray(at)]), `split at ${at}`).toEqual(MEANING);
  });

  it('reads the same replies arriving one byte at a time (inside CRLF and UTF-8 characters too)', () => {
    const single = [...STREAM].map((byte) => Buffer.from([byte]));
    expect(parseChunks(single)).toEqual(MEANING);
  });

  it('yields nothing until a reply is complete, then exactly that reply', () => {
    const parser = new RespParser();
    expect(parser.feed(bytes('$11\r\nhello'))).toEqual([]);
    expect(parser.feed(bytes(' world'))).toEqual([]);
    expect(parser.feed(bytes('\r'))).toEqual([]);
    expect(parser.feed(bytes('\n:1'))).toEqual(['hello world']);
    expect(parser.feed(bytes('\r\n'))).toEqual([1]);
  });

  it('reads a 1 MB bulk string delivered in 16 KB chunks', () => {
    const value = 'x'.repeat(1024 * 1024 - 3) + '\u00e9\u20ac';
    const stream = Buffer.concat([
      bytes(`$${Buffer.byteLength(value)}\r\n`),
      bytes(value),
      bytes('\r\n+OK\r\n'),
    ]);
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 16 * 1024) chunks.push(stream.subarray(at, at + 16 * 1024));

    expect(parseChunks(chunks)).toEqual([value, 'OK']);
  });

  it('gives error replies as RespError with the server message and its code', () => {
    const [noauth, err] = parseChunks([bytes('-NOAUTH Authentication required.\r\n-ERR\r\n')]);

    expect(noauth).toBeInstanceOf(RespError);
    expect(noauth).toMatchObject({ message: 'NOAUTH Authentication required.', code: 'NOAUTH' });
    expect(err).toMatchObject({ message: 'ERR', code: 'ERR' });
    expect(parseChunks([bytes('-\r\n- leading space\r\n')])).toEqual([
      new RespError(''),
      new RespError(' leading space'),
    ]);
    expect(parseChunks([bytes('-\r\n- leading space\r\n')]).map((e) => (e as RespError).code)).toEqual([
      '',
      '',
    ]);
  });

  it('keeps hostile-looking values as plain strings', () => {
    expect(parseChunks([bytes('$9\r\n__proto__\r\n+constructor\r\n')])).toEqual(['__proto__', 'constructor']);
  });

  it.each([
    ['an unknown reply type', '%1\r\n'],
    ['a RESP3 null', '_\r\n'],
    ['an integer with letters', ':12a\r\n'],
    ['an empty integer', ':\r\n'],
    ['a negative bulk length other than -1', '$-2\r\n'],
    ['a bulk length over 512 MB', `$${512 * 1024 * 1024 + 1}\r\n`],
    ['a bulk string longer than its length', '$2\r\nabc\r\n'],
    ['CR not followed by LF', '+OK\rX'],
    ['a negative array length other than -1', '*-3\r\n'],
    ['an array count over a million', '*2000000\r\n'],
    ['arrays nested 40 deep', `${'*1\r\n'.repeat(40)}:1\r\n`],
  ])('rejects %s as a protocol error', (_name, stream) => {
    expect(() => parseChunks([bytes(stream)])).toThrow(RespProtocolError);
  });

  it('names the byte it does not know, a NUL too', () => {
    expect(() => parseChunks([bytes('%1\r\n')])).toThrow('unknown reply type "%"');
    expect(() => parseChunks([bytes('\0\r\n')])).toThrow('unknown reply type "\\u0000"');
  });

  it('rejects a line longer than 64 KB without CRLF instead of buffering it for ever', () => {
    const parser = new RespParser();
    expect(parser.feed(bytes('+'))).toEqual([]);

    expect(() => parser.feed(bytes('a'.repeat(70 * 1024)))).toThrow(RespProtocolError);
  });
});

describe('encodeCommand', () => {
  it('writes an array of bulk strings with their lengths in bytes', () => {
    expect(encodeCommand(['SET', 'k', 'v', 'EX', 60]).toString()).toBe(
      '*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nEX\r\n$2\r\n60\r\n',
    );
  });

  it('counts UTF-8 bytes, not characters, and passes NUL, CRLF and emoji through unchanged', () => {
    const value = '\u00e9\0\r\n\u{1f600}';
    const encoded = encodeCommand(['SET', value]);

    expect(encoded.toString()).toBe(`*2\r\n$3\r\nSET\r\n$9\r\n${value}\r\n`);
    // What the server would send back for it parses to the same string.
    const echoed = Buffer.concat([bytes('$9\r\n'), Buffer.from(value, 'utf8'), bytes('\r\n')]);
    expect(parseChunks([echoed])).toEqual([value]);
  });

  it('writes an empty argument as an empty bulk string', () => {
    expect(encodeCommand(['GET', '']).toString()).toBe('*2\r\n$3\r\nGET\r\n$0\r\n\r\n');
  });
});
