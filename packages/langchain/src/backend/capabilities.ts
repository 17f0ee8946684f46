import type { Capability } from '@broke/core';
import type { BrokeChatBody } from './types.js';

/** What the body needs from a model, so the router only considers models that can do it (as the gateway does). */
export function requiredCapabilities(body: BrokeChatBody, stream: boolean): Capability[] {
  const out: Capability[] = [];
  if (body.tools && body.tools.length > 0) out.push('tools');
  if (body.response_format && body.response_format.type !== 'text') out.push('json');
  if (stream) out.push('streaming');
  return out;
}
