/**
 * docs/reference/site-yaml.md, made from schemas/site.schema.json: one table per
 * object (its field path as the heading), then the named value formats the fields
 * refer to. scripts/gen-docs.mjs writes it; test/schema-docs.test.ts fails when the
 * committed page differs, so the reference cannot drift from the schema that
 * validates the site.
 */

/** The part of JSON Schema that site.schema.json uses. */
interface Node {
  $ref?: string;
  description?: string;
  'x-hint'?: string;
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: boolean | Node;
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
}

interface Schema extends Node {
  $defs: Record<string, Node>;
}

const GENERATED = '<!-- Generated from schemas/site.schema.json by scripts/gen-docs.mjs: edit the schema, not this page. -->';

/** A table cell: one line, pipes escaped. */
const cell = (text: string): string => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
const code = (value: unknown): string => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
// GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
const anchor = (heading: string): string =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');

const refName = (ref: string): string => ref.replace('#/$defs/', '');

export function siteYamlReference(schema: Schema): string {
  const formats = new Set<string>();
  const sections: string[] = [];

  /** A $ref followed, keeping the referring node's own description, hint and default. */
  const resolve = (node: Node): Node => {
    if (!node.$ref) return node;
    const target = resolve(schema.$defs[refName(node.$ref)]!);
    return { ...target, ...Object.fromEntries(Object.entries(node).filter(([k]) => k !== '$ref')) };
  };
  const isObject = (node: Node): boolean => node.properties !== undefined;
  /** A named, reusable scalar (ip, cidr, port...): written once under "Value formats". */
  const format = (node: Node): string | undefined => {
    if (!node.$ref) return undefined;
    const name = refName(node.$ref);
    const target = resolve(node);
    if (isObject(target) || target.items || target.anyOf || target.oneOf) return undefined;
    formats.add(name);
    return `[${name}](#${anchor(name)})`;
  };

  const bounds = (node: Node): string => {
    const parts: string[] = [];
    if (node.minimum !== undefined && node.maximum !== undefined) parts.push(`${node.minimum}–${node.maximum}`);
    else if (node.minimum !== undefined) parts.push(`≥ ${node.minimum}`);
    else if (node.maximum !== undefined) parts.push(`≤ ${node.maximum}`);
    if (node.minItems !== undefined && node.minItems > 0) parts.push(`at least ${node.minItems}`);
    if (node.maxItems !== undefined) parts.push(`at most ${node.maxItems}`);
    if (node.maxLength !== undefined) parts.push(`at most ${node.maxLength} characters`);
    return parts.length ? ` (${parts.join(', ')})` : '';
  };

  /** The type column: where an object's own table is, what a list holds. */
  const typeOf = (raw: Node, path: string): string => {
    const named = format(raw);
    if (named) return named;
    const node = resolve(raw);
    if (node.enum) return `one of ${node.enum.map(code).join(', ')}`;
    if (isObject(node)) return `[object](#${anchor(path)})`;
    const alternatives = node.anyOf ?? node.oneOf;
    if (alternatives) return alternatives.map((a) => typeOf(a, path)).join(' or ');
    const types = Array.isArray(node.type) ? node.type.join(' or ') : node.type;
    if (types === 'array' && node.items) return `list of ${typeOf(node.items, `${path}[]`)}${bounds(node)}`;
    if (types === 'object' && typeof node.additionalProperties === 'object') return `map of string to ${typeOf(node.additionalProperties, `${path}.*`)}${bounds(node)}`;
    if (types === 'object') return 'object (any fields)';
    return `${types ?? 'any'}${bounds(node)}`;
  };

  const describe = (raw: Node): string => {
    const node = resolve(raw);
    const parts = [node.description ?? ''];
    if (node['x-hint']) parts.push(`Expected: ${node['x-hint']}.`);
    return cell(parts.filter(Boolean).join(' '));
  };

  /** One object's table, then the tables of the objects inside it, depth first. */
  const objectSection = (node: Node, path: string, seen: string[]): void => {
    const required = new Set(node.required ?? []);
    const lines = [`## ${path}`, ''];
    if (node.description) lines.push(cell(node.description), '');
    lines.push('| field | type | default | description |', '| --- | --- | --- | --- |');
    const children: [Node, string][] = [];
    for (const [name, raw] of Object.entries(node.properties ?? {})) {
      const child = resolve(raw);
      const field = `${path === 'site.yaml' ? '' : `${path}.`}${name}`;
      const dflt = child.default !== undefined ? code(child.default) : required.has(name) ? '**required**' : '';
      lines.push(`| \`${name}\` | ${typeOf(raw, field)} | ${dflt} | ${describe(raw)} |`);
      children.push(...nested(raw, field));
    }
    sections.push(lines.join('\n'));
    for (const [child, childPath] of children) {
      const ref = child.$ref;
      if (ref && seen.includes(ref)) continue; // a recursive definition is listed once
      objectSection(resolve(child), childPath, ref ? [...seen, ref] : seen);
    }
  };

  /** The objects a field holds (itself, its list's items, a map's values), with their paths. */
  const nested = (raw: Node, path: string): [Node, string][] => {
    const node = resolve(raw);
    if (isObject(node)) return [[raw, path]];
    if (node.items) return nested(node.items, `${path}[]`);
    if (typeof node.additionalProperties === 'object') return nested(node.additionalProperties, `${path}.*`);
    return (node.anyOf ?? node.oneOf ?? []).flatMap((a) => nested(a, path));
  };

  objectSection(schema, 'site.yaml', []);

  const formatLines = ['## Value formats', '', 'Fields above that name one of these take a value of that form.', ''];
  for (const name of [...formats].sort()) {
    const node = resolve({ $ref: `#/$defs/${name}` });
    formatLines.push(`### ${name}`, '', `${typeOf({ ...node, $ref: undefined }, name)}. ${describe(node)}`.trim(), '');
  }

  return [
    '# site.yaml reference',
    '',
    'Every field sitec reads from `site.yaml`, generated from [`schemas/site.schema.json`](../../schemas/site.schema.json),',
    'the schema `sitec validate` checks against (`sitec schema` prints it). Unknown fields are errors everywhere',
    'except where a type says "any fields". A field path such as `clusters[].nodes[]` means each entry of the',
    '`nodes` list of each cluster. For a guided tour, see [site-yaml.md](../site-yaml.md).',
    '',
    sections.join('\n\n'),
    '',
    formatLines.join('\n'),
    GENERATED,
    '',
  ].join('\n');
}
