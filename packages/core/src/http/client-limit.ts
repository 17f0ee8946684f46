import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { clientOf } from './auth.js';
import { openAIErrorBody } from './openai-error.js';
import { nodeBindings } from './request-io.js';

/**
 * At most `limit` requests at once per client (its API key, else its address): one client cannot
 * take every slot and queue place from the others. A request counts until its response closes
 * (for streams, the last byte or the client leaving), which the Node response reports exactly.
 * One count per gateway, shared by the chat lane and the hono app.
 */
export class ClientSlots {
  private readonly active = new Map<string, number>();
  readonly tooMany: ReturnType<typeof openAIErrorBody>;

  constructor(readonly limit: number) {
    this.tooMany = openAIErrorBody(
      429,
      `Too many requests at once from this client (limit ${limit}); retry when one finishes`,
      'client_concurrency',
    );
  }

  /**
   * Takes a slot for the caller (its key digest, else its address) until `outgoing` closes; false
   * when it already holds `limit`.
   */
  take(client: string | undefined, incoming: IncomingMessage | undefined, outgoing: ServerResponse): boolean {
    const who = client ?? incoming?.socket?.remoteAddress ?? '';
    const count = this.active.get(who) ?? 0;
    if (count >= this.limit) return false;
    this.active.set(who, count + 1);
    outgoing.once('close', () => {
      const left = (this.active.get(who) ?? 1) - 1;
      if (left <= 0) this.active.delete(who);
      else this.active.set(who, left);
    });
    return true;
  }
}

/**
 * The slots as hono middleware. Outside node-server (app.request in tests) there is no socket and
 * nothing is counted.
 */
export function clientConcurrency(slots: ClientSlots): MiddlewareHandler {
  // Not async: the common case hands on next()'s promise instead of wrapping it in another.
  return (c, next) => {
    const { incoming, outgoing } = nodeBindings(c);
    if (!outgoing) return next();
    if (!slots.take(clientOf(c), incoming, outgoing)) return Promise.resolve(c.json(slots.tooMany, 429));
    return next();
  };
}
