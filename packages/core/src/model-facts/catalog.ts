import type { BrokeConfigInput, Capability } from '../config/schema.js';
import { billions, firstKnown, gibibytes, type ModelFacts, withFacts } from './facts.js';
import type { ModelOnDisk } from './on-disk.js';
import type { ServerModelFacts } from './server-reported.js';
import { tiersFor } from './tiers.js';

/** A model folder or GGUF file on a node, in config units. */
export function factsOnDisk(disk: ModelOnDisk | undefined): ModelFacts | undefined {
  if (!disk) return undefined;
  return firstKnown({
    ...(disk.parameters !== undefined ? { parameters: disk.parameters } : {}),
    ...(disk.quantization !== undefined ? { quantization: disk.quantization } : {}),
    ...(disk.contextLength !== undefined ? { contextLength: disk.contextLength } : {}),
    ...(disk.weightBytes ? { memoryGb: gibibytes(disk.weightBytes) } : {}),
    ...(disk.sizeBytes ? { diskGb: gibibytes(disk.sizeBytes) } : {}),
    ...capabilitiesOf(disk.toolCalling, false),
  });
}

/** `capabilities` beyond the default (streaming, as every model): tools and/or JSON output. */
function capabilitiesOf(
  tools: boolean | undefined,
  json: boolean | undefined,
): { capabilities?: Capability[] } {
  if (!tools && !json) return {};
  const capabilities: Capability[] = ['streaming'];
  if (tools) capabilities.push('tools');
  if (json) capabilities.push('json');
  return { capabilities };
}

/** What a server reported, in config units. */
export function factsFromServer(reported: ServerModelFacts | undefined): ModelFacts | undefined {
  if (!reported) return undefined;
  return firstKnown({
    ...(reported.parameters ? { parameters: billions(reported.parameters) } : {}),
    ...(reported.quantization ? { quantization: reported.quantization } : {}),
    ...(reported.contextLength ? { contextLength: reported.contextLength } : {}),
    ...(reported.weightBytes ? { memoryGb: gibibytes(reported.weightBytes) } : {}),
    ...capabilitiesOf(reported.toolCalling, reported.jsonOutput),
  });
}

/**
 * The facts for one model: the context length a server accepts (vLLM max_model_len, llama.cpp
 * -c) before the one the model was trained for; capabilities from both; everything else from the
 * files first (exact counts), then from what the server says.
 */
export function modelFacts(server: ModelFacts | undefined, disk: ModelFacts | undefined): ModelFacts {
  const facts = firstKnown(
    server?.contextLength !== undefined ? { contextLength: server.contextLength } : undefined,
    disk,
    server,
  );
  // Capabilities add up: tools from the files' template, JSON output from the server kind.
  if (server?.capabilities && disk?.capabilities)
    facts.capabilities = [...new Set([...disk.capabilities, ...server.capabilities])];
  return facts;
}

/** Add `facts` to the catalog entry `id` (created when missing); fields already set are kept. */
export function addFacts(
  models: NonNullable<BrokeConfigInput['models']>,
  id: string,
  facts: ModelFacts,
): void {
  const index = models.findIndex((m) => m.id === id);
  if (index === -1) models.push(withFacts({ id }, facts));
  else models[index] = withFacts(models[index] as { id: string }, facts);
}

/**
 * Give every sized catalog entry without a `tier` the one tiersFor assigns (absolute from
 * parameters, or ranked within the cluster for toy models); tiers already written are kept.
 */
export function fillTiers(raw: BrokeConfigInput): BrokeConfigInput {
  const models = raw.models ?? [];
  const served = new Set((raw.nodes ?? []).flatMap((n) => (n.models ?? []).map((m) => m.id)));
  const tiers = tiersFor(models, served);
  return {
    ...raw,
    models: models.map((m) => {
      const tier = tiers.get(m.id);
      return m.tier === undefined && tier !== undefined ? { ...m, tier } : m;
    }),
  };
}
