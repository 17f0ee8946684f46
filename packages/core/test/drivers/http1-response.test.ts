import { describe, expect, it } from 'vitest';
import { Http1ResponseParser, HttpParseError, type ResponseHead } from '../../src/drivers/http1-response.js';

// The upstream pool's answer parser (drivers/http1-response.ts), fed the way a socket may deliver
// bytes: whole, or split at every possible place.

interface Read {
  head?: ResponseHead;
  body: string;
  ended: boolean;
}

function parse(parts: readonly Buffer[], closeAfter = false): Read {
  const read: Read = { body: '', ended: false };
  const parser = new Http1ResponseParser({
    head: (h) => {
      read.head = h;
    },
    data: (b) => {
      read.body += b.toString('latin1');
    },
    end: () => {
      read.ended = true;
    },
  });
  for (const p of parts) parser.feed(p);
  if (closeAfter) parser.close();
  return read;
}

/** The answer whole, in two at every split point, and one byte at a time: the same reading each way. */
function everySplit(text: string, closeAfter = false): Read {
  const bytes = Buffer.from(text, 'latin1');
  const whole = parse([bytes], closeAfter);
  for (let i = 1; i < bytes.length; i++)
    expect(parse([bytes.subarray(0, i), bytes.subarray(i)], closeAfter)).toEqual(whole);
  expect(
    parse(
      [...bytes].map((b) => Buffer.from([b])),
      closeAfter,
    ),
  ).toEqual(whole);
  return whole;
}

describe('Http1ResponseParser', () => {
  it('reads a chunked answer with extensions and trailers, split anywhere', () => {
    const read = everySplit(
      'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n',
    );
    expect(read).toMatchObject({ body: 'hello, world', ended: true });
    const head = read.head as ResponseHead;
    expect({ status: head.status, headers: head.headers, keepAlive: head.keepAlive }).toEqual({
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'transfer-encoding': 'chunked' },
      keepAlive: true,
    });
  });

  it('reads chunk sizes in either case, zero-padded, space-padded, up to 8 hex digits', () => {
    const body = 'x'.repeat(26);
    const read = everySplit(
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n' +
        `A\r\n${body.slice(0, 10)}\r\n0000000b\r\n${body.slice(10, 21)}\r\n5 \r\n${body.slice(21)}\r\n0\r\n\r\n`,
    );
    expect(read).toMatchObject({ body, ended: true });
    expect(() =>
      parse([Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n000000001\r\nx')]),
    ).toThrow(/malformed chunk size/);
  });

  it('reads a Content-Length body and a close-delimited HTTP/1.0 one, split anywhere', () => {
    const sized = everySplit('HTTP/1.1 201 Created\r\ncontent-length: 5\r\n\r\nabcde');
    expect(sized).toMatchObject({ body: 'abcde', ended: true, head: { status: 201, keepAlive: true } });
    const closed = everySplit('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil close', true);
    expect(closed).toMatchObject({ body: 'until close', ended: true, head: { keepAlive: false } });
  });

  it('skips interim 1xx answers and says when the connection cannot be reused', () => {
    const read = everySplit(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok',
    );
    expect(read).toMatchObject({ body: 'ok', ended: true, head: { status: 200, keepAlive: false } });
    const empty = parse([Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')]);
    expect(empty).toMatchObject({ body: '', ended: true, head: { status: 204, keepAlive: true } });
  });

  it('joins repeated headers like Node does, keeping Set-Cookie apart', () => {
    const read = parse([
      Buffer.from(
        'HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: 0\r\n\r\n',
      ),
    ]);
    expect(read.head?.headers).toEqual({
      'x-a': '1, 2',
      'set-cookie': ['a=1', 'b=2'],
      'content-length': '0',
    });
  });

  it('finds the framing headers in any case and spacing; a repeated Content-Length that differs is refused', () => {
    const read = everySplit(
      'HTTP/1.1 200 OK\r\nTRANSFER-ENCODING :  Chunked \r\nCONNECTION:Close\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    );
    expect(read).toMatchObject({ body: 'ok', ended: true, head: { status: 200, keepAlive: false } });
    const http10 = parse([
      Buffer.from('HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx'),
    ]);
    expect(http10).toMatchObject({ body: 'x', ended: true, head: { keepAlive: true } });
    expect(() =>
      parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 3\r\n\r\nokk')]),
    ).toThrow(HttpParseError);
  });

  it('refuses what is not HTTP/1.x, malformed framing, and bytes after the answer', () => {
    const bad = [
      'SSH-2.0-OpenSSH_9.2\r\n\r\n',
      'HTTP/2 200\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 12abc\r\n\r\n',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabX\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n',
    ];
    for (const text of bad) expect(() => parse([Buffer.from(text)]), text).toThrow(HttpParseError);
    expect(() => parse([Buffer.from(`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(20_000)}`)])).toThrow(/too long/);
  });

  it('an answer the connection cut short is an error, not a short body', () => {
    for (const text of [
      'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel',
      'HTTP/1.1 200 O',
    ])
      expect(() => parse([Buffer.from(text)], true), text).toThrow(/closed the connection/);
  });
});
