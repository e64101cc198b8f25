/**
 * What compiled blueprints call at run time (see blueprint-compiler.ts): the
 * handful of handlebars semantics the blueprints use, with handlebars' own
 * rules (strict lookups, `#if` truthiness, `#each` over arrays and objects,
 * standalone partial indentation), and nothing else.
 */
export interface BlueprintRuntime {
  /** A property lookup: own properties only, as handlebars' lookupProperty; a TypeError on a missing parent, as handlebars in strict mode. */
  g(parent: unknown, key: string): unknown;
  /** The last part of a path a mustache prints: strict mode's "not defined" error when the parent lacks it. */
  s(parent: unknown, key: string, where: string): unknown;
  /** A printed value: null and undefined print nothing. */
  str(value: unknown): string;
  /** `#if`'s truthiness: false, 0, '', null, undefined and the empty array are false. */
  t(value: unknown): boolean;
  /** What `#each` walks: its keys (null for a list or another iterable) and values. */
  each(value: unknown, where: string): { keys: string[] | null; values: readonly unknown[] };
  /** A standalone partial's output, every line indented as its tag was. */
  indent(text: string, by: string): string;
}

const own = (parent: unknown, key: string): unknown => (Object.hasOwn(parent as object, key) ? (parent as Record<string, unknown>)[key] : undefined);

const NONE = { keys: null, values: [] } as const;

export const blueprintRuntime: BlueprintRuntime = {
  g: own,
  s(parent, key, where) {
    if (!parent || !(key in (parent as object))) throw new Error(`"${key}" not defined in ${String(parent)} - ${where}`);
    return own(parent, key);
  },
  str(value) {
    if (value == null) return '';
    if (typeof value === 'function') throw new Error('blueprint contexts are data: a function cannot be printed');
    return `${value as string}`;
  },
  t(value) {
    if (typeof value === 'function') throw new Error('blueprint contexts are data: a function is neither true nor false');
    return Boolean(value) && !(Array.isArray(value) && value.length === 0);
  },
  each(value, where) {
    if (Array.isArray(value)) return { keys: null, values: value };
    if (typeof value === 'function') throw new Error(`blueprint contexts are data: #each cannot walk a function - ${where}`);
    // As handlebars: anything but an object (a string, a number, true) has nothing to walk.
    if (!value || typeof value !== 'object') return NONE;
    if (Symbol.iterator in value) return { keys: null, values: [...(value as Iterable<unknown>)] };
    const keys = Object.keys(value);
    return { keys, values: keys.map((k) => (value as Record<string, unknown>)[k]) };
  },
  indent(text, by) {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i] && i + 1 === lines.length) break;
      lines[i] = by + lines[i];
    }
    return lines.join('\n');
  },
};

/** A compiled blueprint or partial: its context, and the root context `@root` names (the blueprint's own for a blueprint). */
export type BlueprintFunction = (context: object, root?: object) => string;
/** How a compiled blueprint is made: given the runtime and the partials by name (filled in before any blueprint runs). */
export type BlueprintFactory = (rt: BlueprintRuntime, partials: Record<string, BlueprintFunction>) => BlueprintFunction;
