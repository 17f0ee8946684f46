import type { Framework } from '../context/agent-context.js';
import type { ContextExtractor } from './request-context.js';

/**
 * A framework bridge: the same OpenAI-compatible API under a path prefix, with the framework's
 * context extractor. Bridge packages export one; `createGatewayApp({ bridges })` mounts them all
 * on one router.
 */
export interface GatewayBridge {
  /** Path prefix without slashes, e.g. `crewai` → `/crewai/v1/chat/completions`. */
  prefix: string;
  framework: Framework;
  extractor: ContextExtractor;
  /**
   * The `model` answers carry: the model that served (default), or the name the client asked for
   * (for clients that warn when they differ). `x-broke-model` always names the one that served.
   */
  responseModel?: 'served' | 'requested';
}

const PACKAGES: Record<string, string> = {
  crewai: '@broke/crewai-bridge',
  autogen: '@broke/autogen-bridge',
};

/**
 * Loads bridges by name at run time (`serve --bridges crewai,autogen`). Dynamic so core does not
 * depend on the bridge packages, which depend on core.
 */
export async function loadBridges(names: readonly string[]): Promise<GatewayBridge[]> {
  const out: GatewayBridge[] = [];
  for (const name of names) {
    const pkg = PACKAGES[name] ?? name;
    const mod = (await import(pkg)) as { bridge?: GatewayBridge };
    if (!mod.bridge) throw new Error(`${pkg} does not export a bridge`);
    out.push(mod.bridge);
  }
  return out;
}

/** The bridges that are installed next to core; a missing package is simply skipped. */
export async function loadInstalledBridges(
  names: readonly string[] = Object.keys(PACKAGES),
): Promise<GatewayBridge[]> {
  const out: GatewayBridge[] = [];
  for (const name of names) {
    try {
      out.push(...(await loadBridges([name])));
    } catch {
      // not installed in this deployment
    }
  }
  return out;
}
