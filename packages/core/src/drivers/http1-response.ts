import type { IncomingHttpHeaders } from 'node:http';

/**
 * An HTTP/1.x answer's head, as the parser found it. The status and framing are read at once; the
 * header map (names lower-cased, repeats joined) is built on first read: the gateway reads it only
 * for an error answer, and its strings were most of what parsing a head allocated.
 */
export class ResponseHead {
  private built: IncomingHttpHeaders | undefined;

  constructor(
    readonly status: number,
    /** Whether the connection may carry another request once this answer's body ended. */
    readonly keepAlive: boolean,
    /** The head's lines: the status line, then header lines each checked to hold a name and a colon. */
    private readonly lines: readonly string[],
  ) {}

  get headers(): IncomingHttpHeaders {
    this.built ??= headerMap(this.lines);
    return this.built;
  }
}

function headerMap(lines: readonly string[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    if (prev === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(prev)) prev.push(value);
    else headers[name] = `${prev}, ${value}`;
  }
  return headers;
}

/** Where the parser hands what it read. */
export interface ResponseSink {
  head(head: ResponseHead): void;
  data(chunk: Buffer): void;
  end(): void;
}

/** A header's value appended to what its earlier lines gave (repeats join with ", ", as in the map). */
function joined(before: string, line: string, colon: number): string {
  const value = line.slice(colon + 1).trim();
  return before === '' ? value : `${before}, ${value}`;
}

/** Bytes a server sent that are not HTTP/1.x, or an answer cut short. */
export class HttpParseError extends Error {
  override readonly name = 'HttpParseError';
}

/** What the parser reads next. */
const Mode = {
  Head: 0,
  Length: 1,
  ChunkSize: 2,
  ChunkData: 3,
  ChunkEnd: 4,
  Trailers: 5,
  UntilClose: 6,
  Done: 7,
} as const;
type Mode = (typeof Mode)[keyof typeof Mode];

const HEAD_END = Buffer.from('\r\n\r\n');
/** A head (status line and headers) longer than this is refused, like Node's default limit. */
const MAX_HEAD_BYTES = 16 * 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;

/** Index of the next CRLF at or after `from`, or -1. */
function crlfAt(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length - 1; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}

/** The value of an ASCII hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * An incremental parser for one HTTP/1.x answer to a request that had a body (not HEAD): the head,
 * then a body framed by chunked transfer coding, a Content-Length, or the connection's close.
 * Interim 1xx answers are skipped. Bytes arrive in any split; `feed` throws HttpParseError on
 * anything that is not HTTP/1.x and `close` on an answer the connection cut short.
 */
export class Http1ResponseParser {
  private mode: Mode = Mode.Head;
  /** An incomplete head or chunk-size line carried to the next feed. */
  private carry: Buffer | undefined;
  /** Body bytes left in the Content-Length body or the current chunk. */
  private left = 0;

  constructor(private readonly sink: ResponseSink) {}

  feed(chunk: Buffer): void {
    let buf = chunk;
    let at = 0;
    while (at < buf.length) {
      switch (this.mode) {
        case Mode.Head:
        case Mode.ChunkSize:
        case Mode.Trailers: {
          // Line-based parts: join what was carried, then look for the end of the part.
          if (this.carry) {
            buf = Buffer.concat([this.carry, buf.subarray(at)]);
            at = 0;
            this.carry = undefined;
          }
          const head = this.mode === Mode.Head;
          // A chunk-size or trailer line is a few bytes: scanned here, not with a native call each.
          const end = head ? buf.indexOf(HEAD_END, at) : crlfAt(buf, at);
          if (end === -1) {
            if (buf.length - at > MAX_HEAD_BYTES) throw new HttpParseError('the answer head is too long');
            this.carry = Buffer.from(buf.subarray(at));
            return;
          }
          const from = at;
          at = end + (head ? 4 : 2);
          if (head) this.onHead(buf.toString('latin1', from, end));
          else if (this.mode === Mode.ChunkSize) this.onChunkSize(buf, from, end);
          else if (end === from) this.finish(); // the empty line after the trailers
          break;
        }
        case Mode.Length:
        case Mode.ChunkData: {
          const n = Math.min(this.left, buf.length - at);
          this.left -= n;
          const part = buf.subarray(at, at + n);
          at += n;
          if (this.left === 0) this.mode = this.mode === Mode.Length ? Mode.Done : Mode.ChunkEnd;
          this.sink.data(part);
          if (this.mode === Mode.Done) this.sink.end();
          break;
        }
        case Mode.ChunkEnd: {
          // The CRLF after a chunk's data (it may come one byte at a time).
          const c = buf[at] as number;
          if (c === 10) this.mode = Mode.ChunkSize;
          else if (c !== 13) throw new HttpParseError('a chunk does not end with CRLF');
          at++;
          break;
        }
        case Mode.UntilClose: {
          const part = at === 0 ? buf : buf.subarray(at);
          at = buf.length;
          this.sink.data(part);
          break;
        }
        case Mode.Done:
          throw new HttpParseError('the node sent bytes after its answer');
      }
    }
  }

  /** The connection closed: the end of a close-delimited body, else an answer cut short. */
  close(): void {
    if (this.mode === Mode.UntilClose) this.finish();
    else if (this.mode !== Mode.Done)
      throw new HttpParseError('the node closed the connection before the answer ended');
  }

  private finish(): void {
    this.mode = Mode.Done;
    this.sink.end();
  }

  private onHead(text: string): void {
    const lines = text.split('\r\n');
    const status = STATUS_LINE.exec(lines[0] as string);
    if (!status) throw new HttpParseError('the node did not answer with HTTP/1.x');
    const code = Number(status[2]);
    // Only the framing headers are read now (see ResponseHead); every line is still checked.
    let connection = '';
    let transferEncoding = '';
    let length: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new HttpParseError('the node sent a malformed header line');
      // Their names start with c or t (either case): other lines need no string made.
      const first = line.charCodeAt(0) | 0x20;
      if (first !== 0x63 && first !== 0x74) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === 'connection') connection = joined(connection, line, colon);
      else if (name === 'transfer-encoding') transferEncoding = joined(transferEncoding, line, colon);
      else if (name === 'content-length') length = joined(length ?? '', line, colon);
    }
    // Interim answers (100 Continue, 103 Early Hints): the real one follows.
    if (code >= 100 && code < 200) return;
    connection = connection.toLowerCase();
    const http11 = status[1] === '1';
    const chunked = /(?:^|,)\s*chunked\s*$/i.test(transferEncoding);
    let keepAlive = http11 ? !connection.includes('close') : connection.includes('keep-alive');
    if (code === 204 || code === 304) this.mode = Mode.Done;
    else if (chunked) this.mode = Mode.ChunkSize;
    else if (length !== undefined) {
      if (!/^\d+$/.test(length)) throw new HttpParseError('the node sent a malformed Content-Length');
      this.left = Number(length);
      this.mode = this.left === 0 ? Mode.Done : Mode.Length;
    } else {
      this.mode = Mode.UntilClose;
      keepAlive = false;
    }
    this.sink.head(new ResponseHead(code, keepAlive, lines));
    if (this.mode === Mode.Done) this.sink.end();
  }

  /** The chunk-size line in buf[from, end): bare hex digits read from the bytes, the rest as text. */
  private onChunkSize(buf: Buffer, from: number, end: number): void {
    let size = 0;
    let i = from;
    if (end - from <= 8)
      for (; i < end; i++) {
        const digit = hexDigit(buf[i] as number);
        if (digit === -1) break;
        size = size * 16 + digit;
      }
    if (i === end && end > from) {
      this.left = size;
      this.mode = size === 0 ? Mode.Trailers : Mode.ChunkData;
    } else this.onChunkSizeText(buf.toString('latin1', from, end));
  }

  /** A chunk-size line with extensions or spaces (`5;ext=1`), or malformed. */
  private onChunkSizeText(line: string): void {
    const semi = line.indexOf(';');
    const hex = (semi === -1 ? line : line.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) throw new HttpParseError('the node sent a malformed chunk size');
    this.left = Number.parseInt(hex, 16);
    this.mode = this.left === 0 ? Mode.Trailers : Mode.ChunkData;
  }
}
