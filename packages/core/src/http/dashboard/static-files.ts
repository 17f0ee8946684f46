import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dashboard's files: `packages/core/ui`, next to `src/` and `dist/` (both three levels up). */
export const UI_DIR = fileURLToPath(new URL('../../../ui/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Flat names only: nothing with a slash or a dot-dot can name a file outside the folder. */
const NAME = /^[a-z0-9][a-z0-9-]*\.(?:html|js|css|svg|png)$/;

/**
 * Only what the browser needs: scripts and styles from this gateway, fetches to it, no framing,
 * no inline code (so injected markup cannot run), no referrer leaving the page.
 */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export interface UiAsset {
  body: Uint8Array;
  type: string;
  etag: string;
}

/**
 * The dashboard's files, read once when first asked for and kept (a few tens of KB). Names are
 * matched against the folder's listing, never joined from the request path.
 */
export class UiAssets {
  private files: Map<string, UiAsset> | undefined;

  constructor(private readonly dir = UI_DIR) {}

  get(name: string): UiAsset | undefined {
    if (!NAME.test(name)) return undefined;
    return this.load().get(name);
  }

  private load(): Map<string, UiAsset> {
    if (this.files) return this.files;
    const files = new Map<string, UiAsset>();
    for (const name of readdirSync(this.dir)) {
      const type = TYPES[extname(name)];
      if (!NAME.test(name) || !type) continue;
      const body = readFileSync(join(this.dir, name));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      files.set(name, { body, type, etag });
    }
    this.files = files;
    return files;
  }
}
