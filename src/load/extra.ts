import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { globSync, globTasks, isDynamicPattern } from '../util/glob.js';
import { LineCounter } from 'yaml';
import type { Diagnostic, DiagnosticCode, Location, PathSegment } from '../diagnostics.js';
import { formatPath } from '../diagnostics.js';
import type { Site } from '../model/site.js';
import { compareStrings } from '../util/order.js';
import { describeFsError, exists, isFsError, realPathOf } from '../util/fs.js';
import { MAX_ALIAS_COUNT, parseDocuments, type SiteSource } from './load.js';
import { locate } from '../source/locate.js';
import { readBoundedText } from './read.js';

/** One object of an extra resource file, with where it was written. */
export interface ExtraObject {
  object: Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
  /** The file relative to the site file's directory, as the runbook names it. */
  file: string;
  /** Where the object starts, the file named as the site file was (for diagnostics). */
  location: Location;
}

export interface ExtraOptions {
  /** The directory extraResources paths are relative to: the site file's. Undefined when the site was given as text. */
  baseDir?: string;
  /** Paths never read as extra resources, besides the site file itself: the output directory of this build. */
  exclude?: readonly string[];
}

export interface ExtraResult {
  byCluster: Map<string, ExtraObject[]>;
  diagnostics: Diagnostic[];
  /** The text of every extra file read, by the name its diagnostics show: code frames quote the file an error is in. */
  texts: Map<string, string>;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Whether `path` is `dir` or under it (both absolute and normalized). */
const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/**
 * Reads `clusters[].extraResources`: every pattern must match at least one
 * file; every file holds one or more YAML documents, each a Kubernetes object
 * with apiVersion, kind and a DNS-1123 name (and namespace). Problems inside a
 * file are located in that file; a pattern matching nothing, reaching outside
 * the site's directory or naming a file that cannot be read, at the pattern.
 *
 * Confinement, as kustomize's default load restrictor (LoadRestrictionsRootOnly):
 * every pattern (each brace expansion) must stay inside the root as written,
 * the directory a glob starts from must really be inside it, and every file it
 * matches must be, through its symbolic links (realpath), before it is read.
 * The root is the site file's directory unless `clusters[].extraResourcesRoot`
 * names another (a monorepo's shared resources). The site file and the output
 * directory are never read: a glob skips them, a plain path naming one is refused.
 */
export function loadExtraResources(site: Site, opts: ExtraOptions, source: SiteSource): ExtraResult {
  const byCluster = new Map<string, ExtraObject[]>();
  const diagnostics: Diagnostic[] = [];
  const texts = new Map<string, string>();
  const at = (path: PathSegment[], code: DiagnosticCode, message: string, hint?: string) =>
    diagnostics.push({ code, severity: 'error', message, path: formatPath(path), location: locate(source, path), ...(hint ? { hint } : {}) });
  // Diagnostics name an extra file as the site file was named (relative to where sitec runs); the runbook, relative to the site.
  const shownDir = dirname(source.file);
  const { baseDir } = opts;
  const excluded = baseDir === undefined ? [] : [join(baseDir, basename(source.file)), ...(opts.exclude ?? [])].map((p) => realPathOf(resolve(p)));
  site.clusters.forEach((cluster, c) => {
    const patterns = cluster.extraResources ?? [];
    if (patterns.length === 0) return;
    if (baseDir === undefined) {
      at(
        ['clusters', c, 'extraResources'],
        'extra-resources-unreadable',
        'extra resources are read relative to the site file, and this site was given as text',
        'compile the site from its file (compileFile, build, the CLI)',
      );
      return;
    }
    const root = confinementRoot(cluster.extraResourcesRoot, baseDir);
    if ('problem' in root) {
      at(['clusters', c, 'extraResourcesRoot'], 'extra-resources-root', root.problem, 'name a directory relative to site.yaml that holds the site and its extra files, like ..');
      return;
    }
    const objects: ExtraObject[] = [];
    patterns.forEach((pattern, p) => {
      const path: PathSegment[] = ['clusters', c, 'extraResources', p];
      const found = matchPattern(pattern, baseDir, root, excluded);
      if ('problem' in found) {
        at(path, found.problem.code, found.problem.message, found.problem.hint);
        return;
      }
      if (found.files.length === 0) {
        at(path, 'extra-resources-missing', `${pattern} matches no file next to ${source.file}`, 'paths and patterns are relative to the directory of site.yaml');
        return;
      }
      for (const { file, real } of found.files) {
        const shown = join(shownDir, file);
        const read = readBoundedText(real, shown, shown);
        if ('problem' in read) {
          at(path, read.problem.code, `${pattern}: ${read.problem.message}`, read.problem.hint ?? 'name regular YAML files the user running sitec can read');
          continue;
        }
        texts.set(shown, read.text);
        objects.push(...readObjects(read.text, file, shown, diagnostics));
      }
    });
    if (objects.length > 0) byCluster.set(cluster.name, objects);
  });
  return { byCluster, diagnostics, texts };
}

interface Root {
  /** The root as written, resolved against the site's directory: patterns are checked against it before anything is listed. */
  lexical: string;
  /** The root through its symbolic links: every match's real path must be inside it. */
  real: string;
  /** extraResourcesRoot as written; undefined for the site's own directory. */
  written?: string;
}

function confinementRoot(written: string | undefined, baseDir: string): Root | { problem: string } {
  const lexical = resolve(baseDir, written ?? '.');
  try {
    const real = realpathSync(lexical);
    if (!statSync(real).isDirectory()) return { problem: `extraResourcesRoot ${written} is not a directory` };
    return { lexical, real, ...(written === undefined ? {} : { written }) };
  } catch (err) {
    if (!isFsError(err)) throw err;
    return { problem: `extraResourcesRoot ${written ?? '.'}: ${describeFsError(err)}` };
  }
}

interface Problem {
  code: DiagnosticCode;
  message: string;
  hint?: string;
}

const outsideHint = 'keep extra files inside the site directory; to share files across sites, set this cluster\'s extraResourcesRoot to a directory holding both (like "..")';

/**
 * The files a pattern names, each with its real path, all confined to the root.
 * A pattern that names an existing file as it is written reads that file, even
 * when it looks like a glob (`app[1].yaml`).
 */
function matchPattern(pattern: string, baseDir: string, root: Root, excluded: string[]): { files: { file: string; real: string }[] } | { problem: Problem } {
  const escapes = (written: string) => !inside(normalize(resolve(baseDir, written)), root.lexical);
  const outside = (what: string): { problem: Problem } => ({
    problem: {
      code: 'extra-resources-outside',
      message: `${pattern}: ${what}, outside ${root.written === undefined ? "the site's directory" : `extraResourcesRoot ${root.written} (${root.real})`}`,
      hint: outsideHint,
    },
  });
  if (escapes(pattern)) return outside(`reaches ${normalize(resolve(baseDir, pattern))}`);
  const literal = exists(join(baseDir, pattern));
  const dynamic = !literal && isDynamicPattern(pattern);
  let files: string[];
  if (dynamic) {
    // Every brace expansion stays inside as written, and the directory each starts from really is inside: nothing outside is listed.
    for (const task of globTasks(pattern, baseDir)) {
      const bad = task.patterns.find((p) => !p.startsWith('!') && escapes(p));
      if (bad !== undefined) return outside(`its expansion ${bad} reaches ${normalize(resolve(baseDir, bad))}`);
      const start = resolve(baseDir, task.base);
      const real = realOrUndefined(start);
      if (real !== undefined && !inside(real, root.real)) return outside(`${task.base} is a link to ${real}`);
    }
    try {
      files = globSync(pattern, baseDir).sort(compareStrings);
    } catch (err) {
      if (!isFsError(err)) throw err;
      return { problem: { code: 'input-unreadable', message: `${pattern}: ${describeFsError(err)}`, hint: 'the directories a pattern searches must be readable by the user running sitec' } };
    }
  } else if (literal) files = [pattern];
  else return { files: [] };
  const out: { file: string; real: string }[] = [];
  for (const file of files) {
    const full = resolve(baseDir, file);
    let real: string;
    try {
      real = realpathSync(full);
    } catch (err) {
      if (!isFsError(err)) throw err;
      return { problem: { code: 'input-unreadable', message: `${pattern}: ${describeFsError(err)}`, hint: 'a link among the extra files points at nothing' } };
    }
    if (!inside(real, root.real)) return outside(`${file} is a link to ${real}`);
    if (excluded.some((x) => inside(real, x))) {
      // A glob covering the site or its output skips them; a path naming one is a mistake.
      if (dynamic) continue;
      return {
        problem: { code: 'extra-resources-excluded', message: `${pattern} is the site file or inside the output directory`, hint: 'sitec never reads its own input or output as an extra resource' },
      };
    }
    out.push({ file: isAbsolute(file) ? relative(baseDir, file) : normalize(file), real });
  }
  return { files: out };
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * A list wraps other objects: kustomize replaces any kind ending in "List" that has
 * `items` by its items (api/resource/factory.go, inlineAnyEmbeddedLists), so they
 * would skip every check and apply layer here. v1 List is one whatever it holds.
 */
const isList = (o: { kind: string; items?: unknown }): boolean => o.kind === 'List' || (o.kind.endsWith('List') && 'items' in o);

function readObjects(text: string, file: string, shown: string, diagnostics: Diagnostic[]): ExtraObject[] {
  const fail = (message: string, line = 1, column = 1, hint?: string, code: DiagnosticCode = 'extra-resource-invalid') =>
    diagnostics.push({ code, severity: 'error', message, location: { file: shown, line, column }, ...(hint ? { hint } : {}) });
  const lineCounter = new LineCounter();
  const out: ExtraObject[] = [];
  for (const doc of parseDocuments(text, lineCounter)) {
    const pos = (offset: number) => lineCounter.linePos(offset);
    const errors = [...doc.errors, ...doc.warnings];
    if (errors.length > 0) {
      const { line, col } = pos(errors[0]!.pos[0]);
      fail(`not valid YAML: ${errors[0]!.message.split('\n')[0]}`, line, col, 'extra files are read by the rules of the site file: YAML 1.2, no duplicate keys');
      continue;
    }
    if (doc.contents === null) continue; // no node at all: a comment-only document
    const { line, col } = pos(doc.contents.range[0]);
    let object: unknown;
    try {
      object = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      fail((err as Error).message, line, col, 'write the repeated values out instead of using many YAML aliases');
      continue;
    }
    // An empty document (`---` at the end of a file) holds nothing.
    if (object === null || object === undefined) continue;
    const o = object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    const location = { file: shown, line, column: col };
    if (typeof o !== 'object' || Array.isArray(o))
      fail('a document is not a Kubernetes object (a map)', line, col, 'each YAML document of an extra file is one object, like apiVersion: v1, kind: Secret, metadata: { name: ... }');
    else if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(o.kind))
      fail('a Kubernetes object needs apiVersion and kind', line, col, 'like apiVersion: v1, kind: Secret');
    else if (isList(o as { kind: string }))
      fail(`a ${o.kind} wraps other objects, which would skip sitec's checks and apply layers`, line, col, 'write each item as its own YAML document, separated by ---', 'extra-resource-list');
    else if (typeof o.metadata?.name !== 'string' || !DNS_SUBDOMAIN.test(o.metadata.name))
      fail(`${o.kind}: metadata.name must be a DNS-1123 subdomain`, line, col, 'generateName is not supported: sitec writes one file per named object');
    else if (o.metadata.namespace !== undefined && (typeof o.metadata.namespace !== 'string' || !DNS_LABEL.test(o.metadata.namespace)))
      fail(`${o.kind} ${o.metadata.name}: metadata.namespace must be a DNS-1123 label`, line, col, 'lower-case letters, digits and -, at most 63 characters');
    else out.push({ object: o as ExtraObject['object'], file, location });
  }
  return out;
}
