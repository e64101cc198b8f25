/**
 * The observed directory for import: read into the observe model (the only
 * thing import reads), then seen as import's inputs: each cluster's objects
 * with their file and line, each host's facts. A directory or dump that
 * cannot be read is an ImportInputError (exit 2), located at the file.
 */
import { ObserveError, type ObservedEstate as ObservedModel } from '../observe/model.js';
import { readEstateForImport } from '../observe/read-for-import.js';
import type { ClusterObjects } from './cluster.js';
import { hostFacts } from './host.js';
import type { KubeObject } from './ingress.js';
import type { ObservedEstate } from './import.js';

export class ImportInputError extends Error {
  constructor(
    readonly code: 'import-not-observed' | 'import-bad-dump',
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Reads `dir` (a path here) as import's input; `shownAs` is how messages and sources name it. */
export function readObserved(dir: string, shownAs = dir): ObservedEstate {
  let model: ObservedModel;
  try {
    model = readEstateForImport(dir, shownAs);
  } catch (err) {
    if (err instanceof ObserveError) {
      const whole = err.source.file === shownAs;
      throw new ImportInputError(whole ? 'import-not-observed' : 'import-bad-dump', err.message, err.source.file, err.source.line || undefined);
    }
    throw err;
  }
  return fromModel(model);
}

/** The observe model as import's inputs. */
export function fromModel(model: ObservedModel): ObservedEstate {
  const clusters: ClusterObjects[] = model.clusters.map((c) => ({
    name: c.name,
    ...(c.context ? { context: c.context } : {}),
    objects: [...c.objects.values()].flat().map((o) => ({ object: o.body as KubeObject, source: { file: o.source.file, ...(o.source.line > 0 ? { line: o.source.line } : {}) } })),
  }));
  return { dir: model.dir, clusters, hosts: model.hosts.map(hostFacts) };
}
