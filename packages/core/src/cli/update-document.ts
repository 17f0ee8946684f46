import { isDeepStrictEqual } from 'node:util';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  type ToStringOptions,
} from 'yaml';

/**
 * Make a parsed YAML document hold `value` while keeping what the user wrote around it: comments,
 * blank lines, quoting, flow or block style, key order and anchors survive wherever the value did
 * not change. Only what differs is replaced (a new key goes last in its map, a new list item last in
 * its list). Items of a list of maps with an `id` (nodes, models) are matched by id, so a comment
 * stays with its node; other lists match by position.
 */
export function updateDocument(doc: Document, value: unknown): void {
  doc.contents = update(doc, doc.contents as Node | null, value) as typeof doc.contents;
}

function update(doc: Document, node: Node | null, value: unknown): Node {
  if (node && isAlias(node)) {
    // An alias stays an alias while its anchor still says the same.
    const target = node.resolve(doc);
    if (target && isDeepStrictEqual(target.toJS(doc), value)) return node;
    return fresh(doc, value, node);
  }
  if (isPlainObject(value)) {
    if (!node || !isMap(node)) return fresh(doc, value, node);
    // `{}` written as a placeholder grows into a block map, not a long flow line.
    if (node.flow && node.items.length === 0 && Object.keys(value).length > 0) toBlock(node);
    for (const pair of [...node.items]) if (!(keyOf(pair) in value)) node.delete(pair.key);
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) {
        node.delete(key);
        continue;
      }
      const pair = node.items.find((p) => keyOf(p) === key);
      if (pair) pair.value = update(doc, (pair.value as Node | null) ?? null, v);
      else node.add(doc.createPair(key, v));
    }
    return node;
  }
  if (Array.isArray(value)) {
    if (!node || !isSeq(node)) return fresh(doc, value, node);
    if (node.flow && node.items.length === 0 && value.length > 0) toBlock(node);
    const old = node.items as Node[];
    const used = new Set<Node>();
    node.items = value.map((v, i) => {
      const id = isPlainObject(v) && typeof v.id === 'string' ? v.id : undefined;
      const byId =
        id === undefined ? undefined : old.find((n) => !used.has(n) && isMap(n) && n.get('id') === id);
      const match = byId ?? (id === undefined && old[i] && !used.has(old[i]) ? old[i] : undefined);
      if (match) used.add(match);
      return update(doc, match ?? null, v);
    });
    return node;
  }
  if (node && isScalar(node) && node.value === value) return node;
  if (node && isScalar(node) && typeof node.value === typeof value) {
    node.value = value;
    return node;
  }
  return fresh(doc, value, node);
}

/**
 * An empty flow collection (`models: [] # note`) that gets items becomes a block one. Its comment
 * goes above the items: below them, yaml would read the next key's comment into it on the next run.
 */
function toBlock(node: Node & { flow?: boolean }): void {
  node.flow = false;
  if (node.comment) {
    node.commentBefore = node.commentBefore ? `${node.commentBefore}\n${node.comment}` : node.comment;
    node.comment = undefined;
  }
}

/** A new node for `value`, keeping the comments and spacing of the node it replaces. */
function fresh(doc: Document, value: unknown, replaced: Node | null): Node {
  const node = doc.createNode(value) as Node;
  if (replaced) {
    if (replaced.commentBefore) node.commentBefore = replaced.commentBefore;
    if (replaced.comment) node.comment = replaced.comment;
    if (replaced.spaceBefore) node.spaceBefore = replaced.spaceBefore;
  }
  return node;
}

function keyOf(pair: Pair): string {
  return String(isScalar(pair.key) ? pair.key.value : pair.key);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Stringify options that match how the file was written: its indentation step and whether list
 * items are indented under their key (`nodes:\n  - id` or `nodes:\n- id`). Long lines are not folded.
 */
export function formatOf(source: string): ToStringOptions {
  const lines = source.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  const steps = lines.map((l) => l.length - l.trimStart().length).filter((n) => n > 0);
  const indent = steps.length ? Math.min(...steps) : 2;
  let indentSeq = true;
  for (let i = 1; i < lines.length; i++) {
    const item = /^( *)- /.exec(lines[i] as string);
    const key = /^( *)[^\s#-][^:]*:\s*$/.exec(lines[i - 1] as string);
    if (item && key) {
      indentSeq = (item[1] as string).length > (key[1] as string).length;
      break;
    }
  }
  return { indent, indentSeq, lineWidth: 0 };
}
