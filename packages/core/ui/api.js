// Talking to the gateway: the API key (kept in this tab's sessionStorage, sent as a header, never
// put in a URL), authorised fetches, and the event stream read over fetch (EventSource cannot send
// an Authorization header).

const KEY = 'broke.apiKey';

export const apiKey = {
  get: () => sessionStorage.getItem(KEY) ?? '',
  set: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export class AuthError extends Error {}

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers() {
  const key = apiKey.get();
  return key ? { authorization: `Bearer ${key}` } : {};
}

async function failure(res) {
  if (res.status === 401) return new AuthError('the gateway refused the API key');
  let message = `${res.status} ${res.statusText}`;
  try {
    message = (await res.json()).error?.message ?? message;
  } catch {
    // Not JSON: keep the status line.
  }
  return new HttpError(res.status, message);
}

/** GET a JSON resource of the API. */
export async function getJson(path) {
  const res = await fetch(path, { headers: headers(), cache: 'no-store' });
  if (!res.ok) throw await failure(res);
  return res.json();
}

/**
 * Reads server-sent events from `path`, calling `onEvent(name, data)` for each, until the stream
 * ends (resolves) or fails (rejects; AuthError on a 401).
 */
export async function readEvents(path, onEvent, signal) {
  const res = await fetch(path, {
    headers: { ...headers(), accept: 'text/event-stream' },
    cache: 'no-store',
    signal,
  });
  if (!res.ok) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      dispatch(block, onEvent);
      end = buffer.indexOf('\n\n');
    }
  }
}

/** One SSE block: `event:` and `data:` lines; comments (`: ping`) are skipped. */
function dispatch(block, onEvent) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length > 0) onEvent(event, JSON.parse(data.join('\n')));
}
