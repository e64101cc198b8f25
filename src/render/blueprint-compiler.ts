import { createRequire } from 'node:module';
import type { BlueprintFactory } from './blueprint-runtime.js';

/**
 * Compiles a handlebars blueprint to one plain JavaScript function, from
 * handlebars' own parse (so whitespace control and standalone lines are
 * handlebars' to decide), for the part of the language blueprints use:
 * text, `{{path}}` and `{{{path}}}` (never escaped: blueprints are not HTML),
 * `#if`/`#unless`/`#each` with `{{else}}`, `this`, `../`, `@root`, `@index`,
 * `@first`, `@last`, `@key`, `{{> partial}}` and `{{#*inline}}` partials.
 * Handlebars' runtime spends most of a small file's render time setting up
 * helpers, frames and partials per call; a 2,000-host edge renders 2,000
 * nginx files. Anything outside that part is refused here, at build time, with
 * the blueprint's line and column, rather than rendered differently.
 * test/blueprint-compiler.test.ts renders every blueprint of every example and
 * fixture both ways and compares the bytes.
 */

type AST = typeof import('handlebars') extends { parse(...args: never[]): infer P } ? P : never;
type Program = AST;
type Node = Program['body'][number];
interface Path {
  type: 'PathExpression';
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
  loc: Node['loc'];
}

export class BlueprintSyntaxError extends Error {}

/** Names handlebars reads as its helpers before any context field. */
const HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log', 'helperMissing', 'blockHelperMissing']);
/** What `#each` sets in its data frame. */
const EACH_DATA = new Set(['index', 'first', 'last', 'key']);

interface Frame {
  /** The variable holding this frame's context. */
  context: string;
  /** The loop variables of the `#each` that made this frame. */
  loop?: { index: string; count: string; keys: string };
}

/**
 * The source of a BlueprintFactory: `function (rt, P) { ... return function (c0, root) {...}; }`.
 * `partials` are the names `{{> name}}` may call besides the blueprint's inline ones;
 * `asPartial` compiles one of them (it sees its caller's context and @root, nothing above).
 */
export function compileBlueprint(name: string, source: string, partials: ReadonlySet<string>, asPartial = false): string {
  const { parse } = createRequire(import.meta.url)('handlebars') as typeof import('handlebars');
  const program = parse(source);
  return new Compiler(name, partials, asPartial).factory(program);
}

/** compileBlueprint's source made a function now (a checkout's src/, a stale dist/, tests). */
export function blueprintFactory(name: string, source: string, partials: ReadonlySet<string>, asPartial = false): BlueprintFactory {
  // The source is compileBlueprint's, made from sitec's own blueprints.
  return new Function(`return ${compileBlueprint(name, source, partials, asPartial)};`)() as BlueprintFactory;
}

class Compiler {
  private vars = 0;
  private readonly inline = new Map<string, string>();

  constructor(
    private readonly name: string,
    private readonly partials: ReadonlySet<string>,
    private readonly asPartial: boolean,
  ) {}

  factory(program: Program): string {
    // Inline partials apply to the whole blueprint, wherever they stand in it.
    const body: Node[] = [];
    const inlines: [string, Program][] = [];
    for (const node of program.body) {
      if (node.type === 'DecoratorBlock') {
        const block = node as Node & { path: Path; params: { type: string; value: unknown }[]; program: Program };
        const [param] = block.params;
        if (block.path.original !== 'inline' || block.params.length !== 1 || param?.type !== 'StringLiteral') this.refuse(node, 'only {{#*inline "name"}} decorators are supported');
        inlines.push([String(param!.value), block.program]);
        this.inline.set(String(param!.value), `inline${this.inline.size}`);
      } else body.push(node);
    }
    const parts = ['function (rt, P) {'];
    for (const [name, inline] of inlines) parts.push(`const ${this.inline.get(name)!} = ${this.fn(inline.body, true)};`);
    parts.push(`return ${this.fn(body, this.asPartial)};`, '}');
    return parts.join('\n');
  }

  /** A function of (c0, root) rendering these statements. */
  private fn(body: Node[], partial: boolean): string {
    return `function (c0, root) {\nif (root === undefined) root = c0;\nlet o = '';\n${this.statements(body, [{ context: 'c0' }], partial)}return o;\n}`;
  }

  private statements(body: Node[], frames: Frame[], partial: boolean): string {
    let out = '';
    for (const node of body) out += this.statement(node, frames, partial);
    return out;
  }

  private statement(node: Node, frames: Frame[], partial: boolean): string {
    switch (node.type) {
      case 'ContentStatement': {
        const value = (node as Node & { value: string }).value;
        return value ? `o += ${JSON.stringify(value)};\n` : '';
      }
      case 'CommentStatement':
        return '';
      case 'MustacheStatement': {
        const m = node as Node & { path: Path; params: unknown[]; hash?: unknown };
        if (m.path.type !== 'PathExpression' || m.params.length > 0 || m.hash) this.refuse(node, 'a mustache prints a path, with no helper, parameters or hash');
        return `o += rt.str(${this.path(m.path, frames, partial, true)});\n`;
      }
      case 'BlockStatement':
        return this.block(node as Node & Block, frames, partial);
      case 'PartialStatement': {
        const p = node as Node & { name: Path; params: unknown[]; hash?: unknown; indent: string };
        if (p.name.type !== 'PathExpression' || p.params.length > 0 || p.hash) this.refuse(node, 'a partial takes no context, parameters or hash: {{> name}}');
        const name = p.name.original;
        const local = this.inline.get(name);
        if (!local && !this.partials.has(name)) this.refuse(node, `no partial named ${name}`);
        const call = `${local ?? `P[${JSON.stringify(name)}]`}(${top(frames).context}, root)`;
        return `o += ${p.indent ? `rt.indent(${call}, ${JSON.stringify(p.indent)})` : call};\n`;
      }
      default:
        return this.refuse(node, `${node.type} is not supported in blueprints`);
    }
  }

  private block(node: Node & Block, frames: Frame[], partial: boolean): string {
    const helper = node.path.original;
    if (!['if', 'unless', 'each'].includes(helper)) this.refuse(node, `{{#${helper}}} is not supported in blueprints: use #if, #unless or #each`);
    if (node.params.length !== 1 || node.hash || (node.program?.blockParams?.length ?? 0) > 0) this.refuse(node, `{{#${helper}}} takes exactly one path, no hash or block parameters`);
    const [param] = node.params;
    if (param!.type !== 'PathExpression') this.refuse(node, `{{#${helper}}} takes a path`);
    const value = this.path(param as Path, frames, partial, false);
    const otherwise = node.inverse ? this.statements(node.inverse.body, frames, partial) : '';
    if (helper !== 'each') {
      const then = node.program ? this.statements(node.program.body, frames, partial) : '';
      const [yes, no] = helper === 'if' ? [then, otherwise] : [otherwise, then];
      return `if (rt.t(${value})) {\n${yes}}${no ? ` else {\n${no}}` : ''}\n`;
    }
    const n = this.vars++;
    const loop = { index: `i${n}`, count: `n${n}`, keys: `e${n}.keys` };
    const inner: Frame = { context: `c${frames.length}_${n}`, loop };
    const body = node.program ? this.statements(node.program.body, [...frames, inner], partial) : '';
    return (
      `{\nconst e${n} = rt.each(${value}, ${JSON.stringify(this.where(node))});\nconst n${n} = e${n}.values.length;\n` +
      `for (let i${n} = 0; i${n} < n${n}; i${n}++) {\nconst ${inner.context} = e${n}.values[i${n}];\n${body}}\n` +
      (otherwise ? `if (n${n} === 0) {\n${otherwise}}\n` : '') +
      '}\n'
    );
  }

  /** A path's value. `printed`: the last part is looked up strictly, as handlebars' strict mode does for what a mustache prints. */
  private path(p: Path, frames: Frame[], partial: boolean, printed: boolean): string {
    if (p.data) return this.dataPath(p, frames, partial, printed);
    if (p.depth > 0 && partial) this.refuse(p, 'a partial cannot look outside its context (../)');
    if (p.depth >= frames.length) this.refuse(p, `${p.original} climbs above the blueprint's context`);
    if (!/^(?:this\b|\.\/)/.test(p.original) && p.depth === 0 && HELPERS.has(p.parts[0] ?? '')) this.refuse(p, `${p.original} names a handlebars helper; write this.${p.original}`);
    const base = frames[frames.length - 1 - p.depth]!.context;
    return this.lookup(base, p.parts, printed, p);
  }

  private dataPath(p: Path, frames: Frame[], partial: boolean, printed: boolean): string {
    const [head, ...rest] = p.parts;
    if (p.depth > 0) this.refuse(p, 'data paths with ../ are not supported');
    if (head === 'root') return rest.length === 0 ? 'root' : this.lookup('root', rest, printed, p);
    const loop = [...frames].reverse().find((f) => f.loop)?.loop;
    if (!head || !EACH_DATA.has(head) || rest.length > 0) this.refuse(p, `@${p.parts.join('.')} is not supported: use @root, @index, @first, @last or @key`);
    if (partial && !loop) this.refuse(p, `@${head} in a partial: partials see no #each`);
    if (!loop) {
      if (printed) this.refuse(p, `@${head} outside #each`);
      return 'undefined';
    }
    switch (head) {
      case 'index':
        return loop.index;
      case 'first':
        return `(${loop.index} === 0)`;
      case 'last':
        return `(${loop.index} === ${loop.count} - 1)`;
      default:
        return `(${loop.keys} === null ? ${loop.index} : ${loop.keys}[${loop.index}])`;
    }
  }

  private lookup(base: string, parts: string[], printed: boolean, at: { loc: Node['loc'] }): string {
    let expr = base;
    parts.forEach((part, i) => {
      const key = JSON.stringify(part);
      expr = printed && i === parts.length - 1 ? `rt.s(${expr}, ${key}, ${JSON.stringify(this.where(at))})` : `rt.g(${expr}, ${key})`;
    });
    return expr;
  }

  private where(at: { loc: Node['loc'] }): string {
    return `${this.name}:${at.loc.start.line}:${at.loc.start.column}`;
  }

  private refuse(at: { loc: Node['loc'] }, message: string): never {
    throw new BlueprintSyntaxError(`blueprint ${this.where(at)}: ${message}`);
  }
}

interface Block {
  path: Path;
  params: { type: string }[];
  hash?: unknown;
  program?: Program;
  inverse?: Program;
}

const top = (frames: Frame[]): Frame => frames[frames.length - 1]!;
