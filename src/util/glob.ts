import { createRequire } from 'node:module';

type FastGlob = typeof import('fast-glob');
let fg: FastGlob | undefined;

/**
 * fast-glob, loaded on first use from the package's dependencies rather than
 * bundled into the binary: most runs name one site file and no extra resources,
 * and the glob engine (with micromatch) is a fifth of the bundle to read and
 * compile at every start.
 */
const glob = (): FastGlob => (fg ??= createRequire(import.meta.url)('fast-glob') as FastGlob);

/** Characters without which fast-glob finds no pattern (it also needs them unescaped): a plain path never loads it. */
const MAYBE_DYNAMIC = /[*?[\]{}()!+@]/;

export const isDynamicPattern = (p: string): boolean => MAYBE_DYNAMIC.test(p) && glob().isDynamicPattern(p);

export const globSync = (pattern: string, cwd: string): string[] => glob().sync(pattern, { cwd, onlyFiles: true, dot: false, followSymbolicLinks: false });

/** How fast-glob splits a pattern (braces expanded): the directory each part starts from and the patterns matched under it. */
export const globTasks = (pattern: string, cwd: string): { base: string; patterns: string[] }[] => glob().generateTasks([pattern], { cwd, onlyFiles: true, dot: false, followSymbolicLinks: false });
