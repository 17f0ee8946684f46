import type { Logger } from 'pino';
import type { RequestEnd, RequestObserver } from '../serving/request-observer.js';
import { requestLogLine } from './request-log.js';

/** A request's log level: errors the gateway or a node caused, 4xx the client caused. */
export function requestLevel(end: RequestEnd): 'info' | 'warn' | 'error' {
  if (end.outcome !== 'error') return 'info';
  // A stream that broke after it started is answered 200, but it failed.
  if (end.status >= 500 || end.status < 400) return 'error';
  return 'warn';
}

/** One JSON line per request on a pino logger (the request log of `serve` and the bridges). */
export function pinoRequestObserver(logger: Logger, options: { prompts?: boolean } = {}): RequestObserver {
  return (end) => {
    const level = requestLevel(end);
    if (!logger.isLevelEnabled(level)) return;
    // The logger stamps its own `ts`.
    const { ts: _ts, ...line } = requestLogLine(end, options);
    logger[level](line, 'request');
  };
}
