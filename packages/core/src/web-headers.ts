import type { IncomingHttpHeaders } from 'node:http';

/** Node's parsed headers (repeats as arrays) as a WHATWG Headers, for what needs one. */
export function webHeaders(raw: IncomingHttpHeaders): Headers {
  const h = new Headers();
  for (const name in raw) {
    const v = raw[name];
    if (typeof v === 'string') h.append(name, v);
    else if (Array.isArray(v)) for (const x of v) h.append(name, x);
  }
  return h;
}
