import type { MiddlewareHandler } from 'hono';
import { clientOf } from './auth.js';
import { openAIErrorBody } from './openai-error.js';
import { nodeBindings } from './request-io.js';

/**
 * At most `limit` requests at once per client (its API key, else its address): one client cannot
 * take every slot and queue place from the others. A request counts until its response closes
 * (for streams, the last byte or the client leaving), which the Node response reports exactly.
 * Outside node-server (app.request in tests) there is no socket and nothing is counted.
 */
export function clientConcurrency(limit: number): MiddlewareHandler {
  const active = new Map<string, number>();
  // Not async: the common case hands on next()'s promise instead of wrapping it in another.
  return (c, next) => {
    const { incoming, outgoing } = nodeBindings(c);
    if (!outgoing) return next();
    const who = clientOf(c) ?? incoming?.socket?.remoteAddress ?? '';
    const count = active.get(who) ?? 0;
    if (count >= limit) {
      return Promise.resolve(
        c.json(
          openAIErrorBody(
            429,
            `Too many requests at once from this client (limit ${limit}); retry when one finishes`,
            'client_concurrency',
          ),
          429,
        ),
      );
    }
    active.set(who, count + 1);
    outgoing.once('close', () => {
      const left = (active.get(who) ?? 1) - 1;
      if (left <= 0) active.delete(who);
      else active.set(who, left);
    });
    return next();
  };
}
