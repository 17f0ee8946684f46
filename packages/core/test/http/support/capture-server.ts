import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Captured {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/**
 * A loopback OpenAI-compatible endpoint that records every request verbatim and answers with a
 * fixed reply, or one made from the request (streamed when asked): how the wire-format tests see exactly what a framework sends.
 */
export async function startCaptureServer(replyWith: string | ((body: Record<string, unknown>) => string)) {
  const captured: Captured[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.setHeader('content-type', 'application/json');
        const model_info = {
          vision: false,
          function_calling: false,
          json_output: false,
          structured_output: false,
          family: 'unknown',
          multiple_system_messages: true,
        };
        res.end(
          JSON.stringify({ id: 'broke-auto', object: 'model', created: 0, owned_by: 'broke', model_info }),
        );
        return;
      }
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      captured.push({ url: req.url ?? '', headers: req.headers, body });
      const reply = typeof replyWith === 'string' ? replyWith : replyWith(body);
      const base = { id: 'cap', created: 1, model: String(body.model) };
      if (body.stream) {
        res.setHeader('content-type', 'text/event-stream');
        const chunk = (delta: object, finish: string | null) =>
          `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: 'assistant', content: reply }, null));
        res.write(chunk({}, 'stop'));
        res.write(
          `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: reply } }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    captured,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
