import type { Context } from 'hono';
import type { ModelConfig } from '../config/schema.js';
import { BrokeError } from '../errors.js';
import type { RouterLike } from '../serving/router-like.js';

/**
 * Capabilities in the shape AutoGen's `model_info` wants, so a client can copy the entry
 * instead of guessing (`OpenAIChatCompletionClient(model_info=entry["model_info"])`).
 */
export interface GatewayModelInfo {
  vision: boolean;
  function_calling: boolean;
  json_output: boolean;
  structured_output: boolean;
  family: string;
  multiple_system_messages: boolean;
}

/**
 * What a model id can do: a concrete model what it lists; a virtual one (a profile) what any model
 * it may land on lists, since a request that needs a capability is routed only to models with it
 * (the capabilities filter). Promising only what all had told an AutoGen agent with tools that
 * `broke-auto` cannot call functions as soon as one model in the cluster could not.
 */
export function gatewayModelInfo(models: readonly ModelConfig[]): GatewayModelInfo {
  const has = (cap: string) => models.some((m) => m.capabilities.includes(cap as never));
  return {
    vision: has('vision'),
    function_calling: has('tools'),
    json_output: has('json'),
    structured_output: has('json'),
    family: models.length === 1 ? (models[0]?.family ?? 'unknown') : 'unknown',
    multiple_system_messages: true,
  };
}

export interface GatewayModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  broke: { kind: 'virtual' | 'concrete'; capabilities: string[]; contextLength?: number; tier?: string };
  model_info: GatewayModelInfo;
}

export function gatewayModelEntries(router: RouterLike): GatewayModelEntry[] {
  const { virtual, concrete } = router.listModels();
  // A virtual model offers what any concrete one does (requests needing it are routed there).
  const shared = gatewayModelInfo(concrete);
  const sharedCaps = [...new Set(concrete.flatMap((m) => m.capabilities))];
  return [
    ...virtual.map(
      (id): GatewayModelEntry => ({
        id,
        object: 'model',
        created: 0,
        owned_by: 'broke',
        broke: { kind: 'virtual', capabilities: sharedCaps },
        model_info: shared,
      }),
    ),
    ...concrete.map(
      (m): GatewayModelEntry => ({
        id: m.id,
        object: 'model',
        created: 0,
        owned_by: 'broke',
        broke: {
          kind: 'concrete',
          capabilities: m.capabilities,
          contextLength: m.contextLength,
          tier: m.tier,
        },
        model_info: gatewayModelInfo([m]),
      }),
    ),
  ];
}

export function listModelsHandler(router: RouterLike) {
  return (c: Context) => c.json({ object: 'list', data: gatewayModelEntries(router) });
}

export function getModelHandler(router: RouterLike) {
  return (c: Context) => {
    const id = c.req.param('id');
    const entry = gatewayModelEntries(router).find((m) => m.id === id);
    if (!entry) throw new BrokeError('model_not_found', `The model '${id}' does not exist`, { status: 404 });
    return c.json(entry);
  };
}
