/**
 * RFC 6902 JSON Patch and RFC 7386 merge patch on plain JSON data. Written
 * here rather than taken from a library because every failure must say which
 * operation failed and why, in words that end up in a located diagnostic.
 */
export type JsonPatchOp = { op: 'add' | 'remove' | 'replace' | 'test' | 'copy' | 'move'; path: string; from?: string; value?: unknown };

export class PatchError extends Error {
  constructor(
    readonly index: number,
    readonly code: 'override-patch-failed' | 'override-test-failed' | 'override-forbidden-key',
    message: string,
  ) {
    super(message);
  }
}

type Container = Record<string, unknown> | unknown[];

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** RFC 6901: "/a/b~1c" -> ["a", "b/c"]. */
function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Keys that reach a JavaScript object's prototype instead of the object:
 * `o['__proto__'] = v` replaces the prototype, so a change would be reported
 * and land nowhere in the output. No Kubernetes field has these names.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The first forbidden key in a pointer or anywhere in a value, as a pointer
 * into it, or undefined. Iterative: values come from the site, whose depth
 * load.ts bounds, but this walk needs no stack either way.
 */
export function forbiddenKeyIn(value: unknown, base = ''): string | undefined {
  const todo: [unknown, string][] = [[value, base]];
  while (todo.length > 0) {
    const [node, at] = todo.pop()!;
    if (!isContainer(node)) continue;
    for (const k of Object.keys(node)) {
      const here = `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!Array.isArray(node) && FORBIDDEN_KEYS.has(k)) return here;
      todo.push([(node as Record<string, unknown>)[k], here]);
    }
  }
  return undefined;
}

/** Where the op uses a forbidden key (its path, its from or its value), in words, or undefined. */
function forbiddenInOp(op: JsonPatchOp): string | undefined {
  for (const [name, p] of [
    ['path', op.path],
    ['from', op.from],
  ] as const) {
    const key = p === undefined ? undefined : parsePointer(p).find((t) => FORBIDDEN_KEYS.has(t));
    if (key !== undefined) return `its ${name} ${p} has the key ${JSON.stringify(key)}`;
  }
  const inValue = forbiddenKeyIn(op.value);
  return inValue === undefined ? undefined : `its value has the key ${JSON.stringify(inValue.split('/').pop())} at ${inValue}`;
}

const isContainer = (v: unknown): v is Container => v !== null && typeof v === 'object';

/**
 * The container holding the pointer's last token, and that token; throws a
 * message when a step is missing. `create` makes missing steps empty objects:
 * sitec's one departure from RFC 6902, for `add` only, because generated
 * objects leave out empty sections (an IstioOperator without meshConfig) and
 * `add /spec/meshConfig/accessLogFile` is what users write.
 */
function parentOf(doc: unknown, tokens: string[], pointer: string, create = false): { parent: Container; key: string } {
  let node = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    let next = child(node, tokens[i]!);
    if (next === undefined && create && isContainer(node) && !Array.isArray(node)) {
      next = {};
      (node as Record<string, unknown>)[tokens[i]!] = next;
    }
    if (next === undefined) throw new Error(`${pointer}: ${'/' + tokens.slice(0, i + 1).join('/')} does not exist`);
    node = next;
  }
  if (!isContainer(node)) throw new Error(`${pointer}: the parent is not an object or a list`);
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function child(node: unknown, token: string): unknown {
  if (Array.isArray(node)) return /^(0|[1-9][0-9]*)$/.test(token) ? node[Number(token)] : undefined;
  if (isContainer(node)) return Object.prototype.hasOwnProperty.call(node, token) ? (node as Record<string, unknown>)[token] : undefined;
  return undefined;
}

/** The value at a JSON Pointer, or undefined when any step of it is missing. */
export function valueAt(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const t of parsePointer(pointer)) {
    node = child(node, t);
    if (node === undefined) return undefined;
  }
  return node;
}

function get(doc: unknown, pointer: string): unknown {
  const node = valueAt(doc, pointer);
  if (node === undefined) throw new Error(`${pointer} does not exist`);
  return node;
}

function arrayIndex(arr: unknown[], key: string, pointer: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) throw new Error(`${pointer}: "${key}" is not a list index`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new Error(`${pointer}: index ${i} is past the end of a list of ${arr.length}`);
  return i;
}

function add(doc: unknown, pointer: string, value: unknown, create = false): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, pointer, create);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, pointer, true), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new Error('the whole object cannot be removed');
  const { parent, key } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, pointer, false), 1);
  else {
    if (!Object.prototype.hasOwnProperty.call(parent, key)) throw new Error(`${pointer} does not exist`);
    delete parent[key];
  }
  return doc;
}

const equal = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isContainer(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** Applies the operations to a copy of `doc`; a failing operation throws PatchError naming its index. */
export function applyJsonPatch(doc: unknown, ops: readonly JsonPatchOp[]): unknown {
  let out = clone(doc);
  ops.forEach((op, index) => {
    const forbidden = forbiddenInOp(op);
    if (forbidden !== undefined) throw new PatchError(index, 'override-forbidden-key', `${op.op} refused: ${forbidden}`);
    try {
      switch (op.op) {
        case 'add':
          out = add(out, op.path, clone(op.value), true);
          break;
        case 'remove':
          out = remove(out, op.path);
          break;
        case 'replace':
          get(out, op.path);
          out = add(remove(out, op.path), op.path, clone(op.value));
          break;
        case 'test': {
          const actual = get(out, op.path);
          if (!equal(actual, op.value)) throw new PatchError(index, 'override-test-failed', `test failed: ${op.path} is ${JSON.stringify(actual)}, not ${JSON.stringify(op.value)}`);
          break;
        }
        case 'copy':
          out = add(out, op.path, clone(get(out, op.from!)));
          break;
        case 'move': {
          if (op.path.startsWith(`${op.from!}/`)) throw new Error(`cannot move ${op.from} into itself (${op.path})`);
          const value = get(out, op.from!);
          out = add(remove(out, op.from!), op.path, value);
          break;
        }
      }
    } catch (err) {
      if (err instanceof PatchError) throw err;
      throw new PatchError(index, 'override-patch-failed', `${op.op} failed: ${(err as Error).message}`);
    }
  });
  return out;
}

/**
 * RFC 7386: objects merge key by key, null deletes, anything else replaces.
 * A patch with a forbidden key throws PatchError (index -1: the whole merge).
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  const forbidden = forbiddenKeyIn(patch);
  if (forbidden !== undefined) throw new PatchError(-1, 'override-forbidden-key', `the merge patch has the key ${JSON.stringify(forbidden.split('/').pop())} at ${forbidden}`);
  return merge(target, patch);
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isContainer(patch) || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> = isContainer(target) && !Array.isArray(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}
