import type { Candidate } from '../routing/types.js';
import type { ServingBody } from './chat-body.js';

/**
 * What the node gets: the caller's body unchanged, except the model name, BROKE's metadata, and
 * fields with which a client could make the node load any path or repository (mlx_lm.server's
 * `draft_model` and `adapters`): what a node loads is the operator's choice, not a client's.
 * A stream always asks for usage (the router learns from token counts; the relay strips it
 * unless the caller asked too). One copy in one pass, fields in the caller's order: this runs for
 * every attempt on the hot path.
 */
export function upstreamBody(
  body: ServingBody,
  candidate: Candidate,
  stream: boolean,
): Record<string, unknown> {
  const from = body as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in from) {
    if (key === 'metadata' || key === 'draft_model' || key === 'adapters') continue;
    if (key === 'stream_options' && !stream) continue;
    out[key] = from[key];
  }
  out.model = candidate.servedName;
  out.stream = stream;
  if (stream)
    out.stream_options = body.stream_options
      ? { ...body.stream_options, include_usage: true }
      : { include_usage: true };
  return out;
}
