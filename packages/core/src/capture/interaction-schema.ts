import { z } from 'zod';

/**
 * One line of `broke-cluster export-data`: OpenAI's fine-tuning chat format (`messages`, the
 * answer last as the assistant's message) plus BROKE's routing metadata and the route's rating,
 * so the file feeds evaluation or fine-tuning tools as it is. The JSON Schema
 * (packages/core/schema/interaction.schema.json) is generated from this schema.
 */

/** A chat message as the caller sent it (unknown fields kept: tools differ in what they add). */
export const ExportedMessageSchema = z.looseObject({
  role: z.string().min(1),
  /** Text, content parts (multimodal), or null (an assistant message with only tool calls). */
  content: z.union([z.string(), z.null(), z.array(z.looseObject({ type: z.string() }))]),
});

const Temperature = z.enum(['green', 'yellow', 'orange', 'red']);

export const InteractionMetadataSchema = z.strictObject({
  /** The route id: the answer's `id`, which `POST /v1/feedback` and `GET /v1/routes/{id}` take. */
  route_id: z.string().min(1),
  /** When the request was routed (ISO 8601, UTC). */
  created_at: z.iso.datetime(),
  team: z.string().nullable(),
  role: z.string().nullable(),
  session: z.string().nullable(),
  framework: z.string().nullable(),
  conversation_depth: z.number().int().min(0).nullable(),
  /** The router's analysis of the prompt. */
  task_type: z.string(),
  complexity: z.number(),
  /** The routing profile the decision used (e.g. `balanced`). */
  profile: z.string(),
  /** The node and model that answered (after any failover). */
  node: z.string(),
  model: z.string(),
  /** The router's predicted quality (0..1) of that model for this prompt and agent. */
  predicted_quality: z.number().min(0).max(1).nullable(),
  /** The quality temperature returned with the answer (null: too little evidence yet). */
  temperature: Temperature.nullable(),
  /** Another candidate served after the first choice failed. */
  fallback: z.boolean(),
  stream: z.boolean(),
  /** Milliseconds from arrival to the answer's end; ttft: to the first token (whole answer if not streamed). */
  latency_ms: z.number().min(0),
  ttft_ms: z.number().min(0).nullable(),
  prompt_tokens: z.number().int().min(0).nullable(),
  completion_tokens: z.number().int().min(0).nullable(),
  /** Whether the prompt and the answer were stored (capture.prompts / capture.responses). */
  prompt_captured: z.boolean(),
  response_captured: z.boolean(),
  /** How many ratings `rating` averages. */
  ratings: z.number().int().min(0),
});
export type InteractionMetadata = z.infer<typeof InteractionMetadataSchema>;

export const ExportedInteractionSchema = z.strictObject({
  messages: z.array(ExportedMessageSchema),
  metadata: InteractionMetadataSchema,
  /** Mean of the route's ratings, 0..1 (thumbs up 1, down 0; scores as given); null: unrated. */
  rating: z.number().min(0).max(1).nullable(),
});
export type ExportedInteraction = z.infer<typeof ExportedInteractionSchema>;
export type ExportedMessage = z.infer<typeof ExportedMessageSchema>;

/** The JSON Schema of one exported line, generated from the zod schema above. */
export function interactionJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ExportedInteractionSchema, { io: 'output' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://github.com/broke/broke/schema/interaction.schema.json',
    title: 'One line of broke-cluster export-data (JSONL): chat messages, routing metadata, rating',
  };
}
