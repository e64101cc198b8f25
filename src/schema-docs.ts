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

/** A node's limits, as the type column appends them: a range, a list's length, a string's length. */
function bounds(node: Node): string {
  const parts: string[] = [];
  if (node.minimum !== undefined && node.maximum !== undefined) parts.push(`${node.minimum}–${node.maximum}`);
  else if (node.minimum !== undefined) parts.push(`≥ ${node.minimum}`);
  else if (node.maximum !== undefined) parts.push(`≤ ${node.maximum}`);
  if (node.minItems !== undefined && node.minItems > 0) parts.push(`at least ${node.minItems}`);
  if (node.maxItems !== undefined) parts.push(`at most ${node.maxItems}`);
  if (node.maxLength !== undefined) parts.push(`at most ${node.maxLength} characters`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

const isObject = (node: Node): boolean => node.properties !== undefined;

/**
 * One pass over the schema: the object tables in the order they are met, and the
 * named value formats the tables link to (collected on the way, written after).
 */
class ReferenceWriter {
  readonly formats = new Set<string>();
  readonly sections: string[] = [];

  constructor(private readonly schema: Schema) {}

  /** A $ref followed, keeping the referring node's own description, hint and default. */
  resolve(node: Node): Node {
    if (!node.$ref) return node;
    const target = this.resolve(this.schema.$defs[refName(node.$ref)]!);
    return { ...target, ...Object.fromEntries(Object.entries(node).filter(([k]) => k !== '$ref')) };
  }

  /** A named, reusable scalar (ip, cidr, port...): written once under "Value formats". */
  format(node: Node): string | undefined {
    if (!node.$ref) return undefined;
    const name = refName(node.$ref);
    const target = this.resolve(node);
    if (isObject(target) || target.items || target.anyOf || target.oneOf) return undefined;
    this.formats.add(name);
    return `[${name}](#${anchor(name)})`;
  }

  /** The type column: where an object's own table is, what a list holds. */
  typeOf(raw: Node, path: string): string {
    const named = this.format(raw);
    if (named) return named;
    const node = this.resolve(raw);
    if (node.enum) return `one of ${node.enum.map(code).join(', ')}`;
    if (isObject(node)) return `[object](#${anchor(path)})`;
    const alternatives = node.anyOf ?? node.oneOf;
    if (alternatives) return alternatives.map((a) => this.typeOf(a, path)).join(' or ');
    const types = Array.isArray(node.type) ? node.type.join(' or ') : node.type;
    if (types === 'array' && node.items) return `list of ${this.typeOf(node.items, `${path}[]`)}${bounds(node)}`;
    if (types === 'object' && typeof node.additionalProperties === 'object') return `map of string to ${this.typeOf(node.additionalProperties, `${path}.*`)}${bounds(node)}`;
    if (types === 'object') return 'object (any fields)';
    return `${types ?? 'any'}${bounds(node)}`;
  }

  describe(raw: Node): string {
    const node = this.resolve(raw);
    const parts = [node.description ?? ''];
    if (node['x-hint']) parts.push(`Expected: ${node['x-hint']}.`);
    return cell(parts.filter(Boolean).join(' '));
  }

  /** One object's table, then the tables of the objects inside it, depth first. */
  objectSection(node: Node, path: string, seen: string[]): void {
    const required = new Set(node.required ?? []);
    const lines = [`## ${path}`, ''];
    if (node.description) lines.push(cell(node.description), '');
    lines.push('| field | type | default | description |', '| --- | --- | --- | --- |');
    const children: [Node, string][] = [];
    for (const [name, raw] of Object.entries(node.properties ?? {})) {
      const child = this.resolve(raw);
      const field = `${path === 'site.yaml' ? '' : `${path}.`}${name}`;
      const dflt = child.default !== undefined ? code(child.default) : required.has(name) ? '**required**' : '';
      lines.push(`| \`${name}\` | ${this.typeOf(raw, field)} | ${dflt} | ${this.describe(raw)} |`);
      children.push(...this.nested(raw, field));
    }
    this.sections.push(lines.join('\n'));
    for (const [child, childPath] of children) {
      const ref = child.$ref;
      if (ref && seen.includes(ref)) continue; // a recursive definition is listed once
      this.objectSection(this.resolve(child), childPath, ref ? [...seen, ref] : seen);
    }
  }

  /** The objects a field holds (itself, its list's items, a map's values), with their paths. */
  nested(raw: Node, path: string): [Node, string][] {
    const node = this.resolve(raw);
    if (isObject(node)) return [[raw, path]];
    if (node.items) return this.nested(node.items, `${path}[]`);
    if (typeof node.additionalProperties === 'object') return this.nested(node.additionalProperties, `${path}.*`);
    return (node.anyOf ?? node.oneOf ?? []).flatMap((a) => this.nested(a, path));
  }

  /** The formats the tables named, alphabetically (only those met before this is called). */
  formatSection(): string {
    const formatLines = ['## Value formats', '', 'Fields above that name one of these take a value of that form.', ''];
    for (const name of [...this.formats].sort()) {
      const node = this.resolve({ $ref: `#/$defs/${name}` });
      formatLines.push(`### ${name}`, '', `${this.typeOf({ ...node, $ref: undefined }, name)}. ${this.describe(node)}`.trim(), '');
    }
    return formatLines.join('\n');
  }
}

export function siteYamlReference(schema: Schema): string {
  const writer = new ReferenceWriter(schema);
  writer.objectSection(schema, 'site.yaml', []);
  const formats = writer.formatSection();
  return [
    '# site.yaml reference',
    '',
    'Every field sitec reads from `site.yaml`, generated from [`schemas/site.schema.json`](../../schemas/site.schema.json),',
    'the schema `sitec validate` checks against (`sitec schema` prints it). Unknown fields are errors everywhere',
    'except where a type says "any fields". A field path such as `clusters[].nodes[]` means each entry of the',
    '`nodes` list of each cluster. For a guided tour, see [site-yaml.md](../site-yaml.md).',
    '',
    writer.sections.join('\n\n'),
    '',
    formats,
    GENERATED,
    '',
  ].join('\n');
}
