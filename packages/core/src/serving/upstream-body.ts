import type { Candidate } from '../routing/types.js';
import type { ServingBody } from './chat-body.js';

/**
 * What the node gets: the caller's body unchanged, except the model name, BROKE's metadata, and
 * fields with which a client could make the node load any path or repository (mlx_lm.server's
 * `draft_model` and `adapters`): what a node loads is the operator's choice, not a client's.
 */
export function upstreamBody(body: ServingBody, candidate: Candidate): Record<string, unknown> {
  const {
    metadata: _metadata,
    draft_model: _draft,
    adapters: _adapters,
    ...rest
  } = body as ServingBody & { draft_model?: unknown; adapters?: unknown };
  return { ...rest, model: candidate.servedName };
}
