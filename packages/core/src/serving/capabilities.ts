import type { Capability } from '../config/schema.js';
import type { ServingBody } from './chat-body.js';

/** Capabilities a body needs from the model, so the router filters out models that lack them. */
export function requiredCapabilities(body: ServingBody): Capability[] {
  const out: Capability[] = [];
  if (body.tools && body.tools.length > 0) out.push('tools');
  if (body.response_format && body.response_format.type !== 'text') out.push('json');
  if (body.stream) out.push('streaming');
  if (body.messages.some(hasImage)) out.push('vision');
  return out;
}

function hasImage(m: { content?: unknown }): boolean {
  if (!Array.isArray(m.content)) return false;
  for (const part of m.content as Array<{ type?: unknown } | null>) {
    const type = part?.type;
    if (type === 'image_url' || type === 'input_image') return true;
  }
  return false;
}
