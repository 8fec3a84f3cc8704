/**
 * RESP2, the Redis/Valkey wire protocol, for the commands the cache sends: requests are arrays of
 * bulk strings; replies are simple strings (`+`), errors (`-`), integers (`:`), bulk strings (`$`,
 * `$-1` for null) and arrays (`*`, `*-1` for null), each line ending in CRLF.
 */

/** An error reply (`-ERR …`, `-WRONGTYPE …`, `-NOAUTH …`): the server's message, as it sent it. */
export class RespError extends Error {
  override readonly name = 'RespError';
  /** The first word of the message, by Redis convention the kind of error (ERR, WRONGTYPE…). */
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.code = message.replace(/ [\s\S]*/, '');
  }
}

/** Bytes that are not RESP: the connection cannot be trusted past them. */
export class RespProtocolError extends Error {
  override readonly name = 'RespProtocolError';
}

export type RespReply = string | number | null | RespError | RespReply[];

/** Redis refuses bulk strings longer than 512 MB; a longer length is a corrupt stream. */
const MAX_BULK_BYTES = 512 * 1024 * 1024;
/** Our replies nest two deep (EXEC); anything deeper than this is hostile or corrupt. */
const MAX_DEPTH = 32;
/** No reply to our commands has more elements; a larger count is hostile or corrupt. */
const MAX_ARRAY_LENGTH = 1024 * 1024;
/** A header or simple line longer than this without CRLF is not a reply we can use. */
const MAX_LINE_BYTES = 64 * 1024;

const CR = 13;
const LF = 10;

/** Not enough bytes yet; `needed` is how many the buffer must hold before trying again. */
class Incomplete {
  constructor(readonly needed: number) {}
}

/**
 * An incremental reply parser: feed it chunks as the socket delivers them; it returns every
 * reply they complete, in order, and keeps the rest for the next chunk. A reply may be split
 * anywhere (even inside CRLF or a multi-byte character) and one chunk may hold many replies.
 */
export class RespParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before a parse can succeed (known from a bulk header): no retry before that. */
  private needed = 1;

  /** Throws RespProtocolError on bytes that are not RESP; the parser is then unusable. */
  feed(chunk: Buffer): RespReply[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return [];
    // One copy per attempt, and attempts only when enough bytes are there: a large bulk string
    // arriving in many chunks is copied once, not once per chunk.
    const buffer = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    const replies: RespReply[] = [];
    let offset = 0;
    for (;;) {
      if (offset === buffer.length) {
        this.reset([], 0, 1);
        return replies;
      }
      const parsed = parse(buffer, offset, 0);
      if (parsed instanceof Incomplete) {
        const rest = buffer.subarray(offset);
        this.reset([rest], rest.length, parsed.needed - offset);
        return replies;
      }
      replies.push(parsed.value);
      offset = parsed.end;
    }
  }

  private reset(chunks: Buffer[], buffered: number, needed: number): void {
    this.chunks = chunks;
    this.buffered = buffered;
    this.needed = Math.max(needed, buffered + 1);
  }
}

interface Parsed {
  readonly value: RespReply;
  readonly end: number;
}

/** The line starting at `start` (without CRLF) and where the next one starts, or Incomplete. */
function line(buffer: Buffer, start: number): { text: string; end: number } | Incomplete {
  const cr = buffer.indexOf(CR, start);
  if (cr === -1 || cr + 1 >= buffer.length) {
    if (buffer.length - start > MAX_LINE_BYTES) throw new RespProtocolError('reply line too long');
    return new Incomplete(buffer.length + 1);
  }
  if (buffer[cr + 1] !== LF) throw new RespProtocolError('CR not followed by LF');
  return { text: buffer.toString('utf8', start, cr), end: cr + 2 };
}

/** A decimal integer as RESP writes it (optional minus, digits only), or a protocol error. */
function integer(text: string): number {
  if (!/^-?\d{1,20}$/.test(text))
    throw new RespProtocolError(`not an integer: ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

function parse(buffer: Buffer, start: number, depth: number): Parsed | Incomplete {
  if (start >= buffer.length) return new Incomplete(start + 1);
  if (depth > MAX_DEPTH) throw new RespProtocolError('replies nested too deep');
  const type = buffer[start] as number; // start < buffer.length: checked above
  const header = line(buffer, start + 1);
  if (header instanceof Incomplete) return header;
  switch (type) {
    case 0x2b: // '+'
      return { value: header.text, end: header.end };
    case 0x2d: // '-'
      return { value: new RespError(header.text), end: header.end };
    case 0x3a: // ':'
      return { value: integer(header.text), end: header.end };
    case 0x24: {
      // '$'
      const length = integer(header.text);
      if (length === -1) return { value: null, end: header.end };
      if (length < 0 || length > MAX_BULK_BYTES) throw new RespProtocolError(`bad bulk length ${length}`);
      const end = header.end + length + 2;
      if (buffer.length < end) return new Incomplete(end);
      if (buffer[end - 2] !== CR || buffer[end - 1] !== LF)
        throw new RespProtocolError('bulk string not followed by CRLF');
      return { value: buffer.toString('utf8', header.end, header.end + length), end };
    }
    case 0x2a: {
      // '*'
      const count = integer(header.text);
      if (count === -1) return { value: null, end: header.end };
      if (count < 0 || count > MAX_ARRAY_LENGTH) throw new RespProtocolError(`bad array length ${count}`);
      const items: RespReply[] = [];
      let offset = header.end;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, offset, depth + 1);
        if (item instanceof Incomplete) return item;
        items.push(item.value);
        offset = item.end;
      }
      return { value: items, end: offset };
    }
    default:
      throw new RespProtocolError(`unknown reply type ${JSON.stringify(String.fromCharCode(type))}`);
  }
}

/**
 * A command as RESP sends it: an array of bulk strings, each with its length in bytes (UTF-8), so
 * any value (CRLF, NUL bytes, any character) goes through unchanged.
 */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  let text = `*${args.length}\r\n`;
  for (const arg of args) {
    const value = String(arg);
    text += `$${Buffer.byteLength(value, 'utf8')}\r\n${value}\r\n`;
  }
  return Buffer.from(text, 'utf8');
}
