import type { FilterVerdict } from './routing/types.js';

/**
 * Every error BROKE throws on purpose is a BrokeError: it carries a stable `code`
 * (for programs), a message (for people) and, where we know it, a `hint` saying how to fix it.
 */
export class BrokeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  /** HTTP status the gateway should answer with when this error reaches a client. */
  readonly status: number;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.status = options.status ?? 500;
  }

  /** One line for a terminal: message, then the hint when there is one. */
  toLine(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** Bad user input: config files, CLI flags, HTTP bodies. */
export class ValidationError extends BrokeError {
  constructor(message: string, options: { hint?: string; field?: string; cause?: unknown } = {}) {
    super('invalid_request', message, { ...options, status: 400 });
    this.field = options.field;
  }
  readonly field: string | undefined;
}

/** A node could not be reached or answered badly. */
export class NodeError extends BrokeError {
  constructor(
    readonly nodeId: string,
    message: string,
    options: { hint?: string; status?: number; cause?: unknown; code?: string } = {},
  ) {
    super(options.code ?? 'node_error', message, { ...options, status: options.status ?? 502 });
  }
}

/** Which filter removed which candidate and why, for a route that found none. */
export interface NoRouteBreakdown {
  /** Candidates (node × model) before the filters ran. */
  candidates: number;
  filters: FilterVerdict[];
}

/** No candidate survived the filters, or every candidate is saturated. */
export class NoRouteError extends BrokeError {
  /** Set by the routing pipeline: every filter's removals, so a caller can show why. */
  breakdown: NoRouteBreakdown | undefined;
  constructor(message: string, options: { hint?: string; status?: number; code?: string } = {}) {
    super(options.code ?? 'no_route', message, { ...options, status: options.status ?? 503 });
  }
}

/** The request named a model no node serves and no virtual model matches (HTTP 404). */
export class ModelNotFoundError extends BrokeError {
  constructor(
    readonly model: string,
    options: { hint?: string } = {},
  ) {
    super('model_not_found', `Unknown model "${model}"`, {
      hint:
        options.hint ??
        'use broke-auto, broke-quality, broke-balanced, broke-latency or a model id from GET /v1/models',
      status: 404,
    });
  }
}

/** A route id the router does not (or no longer) remember (HTTP 404). */
/** A selection (`{session, role, last}`) that names no remembered route. */
export class NoRoutesSelectedError extends BrokeError {
  constructor(selection: { session?: string; team?: string; role?: string }) {
    const parts = [
      selection.role !== undefined ? `for role "${selection.role}"` : '',
      selection.team !== undefined ? `of team "${selection.team}"` : '',
      selection.session !== undefined ? `in session "${selection.session}"` : '',
    ].filter(Boolean);
    super('routes_not_found', `No remembered routes ${parts.join(' ')}`, {
      hint: 'check the session id (GET /v1/routes?session=... lists what the gateway remembers) and the role spelling',
      status: 404,
    });
  }
}

/** The same feedback id again: it was applied once, and is not applied twice. */
export class DuplicateFeedbackError extends BrokeError {
  constructor(
    readonly feedbackId: string,
    readonly routeIds: readonly string[],
  ) {
    super(
      'duplicate_feedback',
      `Feedback "${feedbackId}" was already applied (to ${routeIds.join(', ')}); it is not applied again`,
      { hint: 'send a new feedback id for a new rating', status: 409 },
    );
  }
}

export class RouteNotFoundError extends BrokeError {
  constructor(readonly routeId: string) {
    super('route_not_found', `Unknown route id "${routeId}"`, {
      hint: 'route ids are kept for the last routes only (routing explanation LRU)',
      status: 404,
    });
  }
}
