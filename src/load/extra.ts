import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { globSync, isDynamicPattern } from '../util/glob.js';
import { LineCounter } from 'yaml';
import type { Diagnostic, Location, PathSegment } from '../diagnostics.js';
import { CheckContext } from '../validate/context.js';
import type { Site } from '../model/site.js';
import { compareStrings } from '../util/order.js';
import { MAX_ALIAS_COUNT, MAX_SITE_BYTES, parseDocuments, type SiteSource } from './load.js';

/** One object of an extra resource file, with where it was written. */
export interface ExtraObject {
  object: Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
  /** The file relative to the site file's directory, as the runbook names it. */
  file: string;
  /** Where the object starts, the file named as the site file was (for diagnostics). */
  location: Location;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Reads `clusters[].extraResources`: every pattern must match at least one
 * file; every file holds one or more YAML documents, each a Kubernetes object
 * with apiVersion, kind and a DNS-1123 name (and namespace). Problems inside a
 * file are located in that file; a pattern matching nothing at the pattern.
 */
export function loadExtraResources(site: Site, baseDir: string | undefined, source: SiteSource): { byCluster: Map<string, ExtraObject[]>; diagnostics: Diagnostic[] } {
  const byCluster = new Map<string, ExtraObject[]>();
  const ctx = new CheckContext(source);
  // Diagnostics name an extra file as the site file was named (relative to where sitec runs); the runbook, relative to the site.
  const shownDir = dirname(source.file);
  site.clusters.forEach((cluster, c) => {
    const objects: ExtraObject[] = [];
    (cluster.extraResources ?? []).forEach((pattern, p) => {
      const path: PathSegment[] = ['clusters', c, 'extraResources', p];
      if (baseDir === undefined) {
        ctx.error(
          'extra-resources-unreadable',
          path,
          'extra resources are read relative to the site file, and this site was given as text',
          'compile the site from its file (compileFile, build, the CLI)',
        );
        return;
      }
      const dynamic = isDynamicPattern(pattern);
      const files = dynamic ? globSync(pattern, baseDir).sort(compareStrings) : [pattern];
      if (files.length === 0 || (!dynamic && !isFile(join(baseDir, pattern)))) {
        ctx.error('extra-resources-missing', path, `${pattern} matches no file next to ${source.file}`, 'paths and patterns are relative to the directory of site.yaml');
        return;
      }
      for (const file of files) objects.push(...readObjects(join(baseDir, file), file, join(shownDir, file), ctx.diagnostics));
    });
    if (objects.length > 0) byCluster.set(cluster.name, objects);
  });
  return { byCluster, diagnostics: ctx.diagnostics };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readObjects(full: string, file: string, shown: string, diagnostics: Diagnostic[]): ExtraObject[] {
  const fail = (message: string, line = 1, column = 1, hint?: string) =>
    diagnostics.push({ code: 'extra-resource-invalid', severity: 'error', message, location: { file: shown, line, column }, ...(hint ? { hint } : {}) });
  if (statSync(full).size > MAX_SITE_BYTES) {
    fail(`larger than ${MAX_SITE_BYTES} bytes`);
    return [];
  }
  const lineCounter = new LineCounter();
  const out: ExtraObject[] = [];
  for (const doc of parseDocuments(readFileSync(full, 'utf8'), lineCounter)) {
    const pos = (offset: number) => lineCounter.linePos(offset);
    const errors = [...doc.errors, ...doc.warnings];
    if (errors.length > 0) {
      const { line, col } = pos(errors[0]!.pos[0]);
      fail(`not valid YAML: ${errors[0]!.message.split('\n')[0]}`, line, col);
      continue;
    }
    if (doc.contents === null) continue; // no node at all: a comment-only document
    const { line, col } = pos(doc.contents.range[0]);
    let object: unknown;
    try {
      object = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      fail((err as Error).message, line, col);
      continue;
    }
    // An empty document (`---` at the end of a file) holds nothing.
    if (object === null || object === undefined) continue;
    const o = object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    const location = { file: shown, line, column: col };
    if (typeof o !== 'object' || Array.isArray(o)) fail('a document is not a Kubernetes object (a map)', line, col);
    else if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(o.kind))
      fail('a Kubernetes object needs apiVersion and kind', line, col, 'like apiVersion: v1, kind: Secret');
    else if (typeof o.metadata?.name !== 'string' || !DNS_SUBDOMAIN.test(o.metadata.name))
      fail(`${o.kind}: metadata.name must be a DNS-1123 subdomain`, line, col, 'generateName is not supported: sitec writes one file per named object');
    else if (o.metadata.namespace !== undefined && (typeof o.metadata.namespace !== 'string' || !DNS_LABEL.test(o.metadata.namespace)))
      fail(`${o.kind} ${o.metadata.name}: metadata.namespace must be a DNS-1123 label`, line, col);
    else out.push({ object: o as ExtraObject['object'], file, location });
  }
  return out;
}
