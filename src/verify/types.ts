/** What the compare stage of `sitec verify` hands around: findings, and the compiled site each check reads. */
import type { DiagnosticCode } from '../catalogue.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Site } from '../model/site.js';
import type { ObservedCluster, ObservedObject } from '../observe/model.js';
import type { FilePlan } from '../plan/plan.js';
import type { SiteModel } from '../resolve/model.js';

export interface Finding {
  code: DiagnosticCode;
  severity: 'error' | 'warning';
  /** `clusters/<name>` or `hosts/<name>`. */
  where: string;
  /** The object or rule: `Service istio-system/istio-ingressgateway`, `iptables nat SITEC-...-DNAT sitec:...`. */
  subject: string;
  expected: string;
  observed: string;
  message: string;
  /** Where the site asked for it. */
  source: { file: string; line: number; column: number };
  /** Where in the dump it was seen, when it was. */
  dump?: { file: string; line: number };
  hint: string;
}

export interface VerifyResult {
  /** False when the site or the dump could not be read: exit 2. */
  ok: boolean;
  diagnostics: Diagnostic[];
  findings: Finding[];
  /** The clusters and hosts of the site the dump holds (`clusters/a`, `hosts/b`). */
  judged: string[];
  /** The clusters and hosts of the site the dump does not hold. */
  notJudged: string[];
}

export type Add = (f: Omit<Finding, 'severity' | 'hint'> & { hint?: string }) => void;
export type At = (path: Array<string | number>) => Finding['source'];

/** The compiled site every check reads, and where findings go. */
export interface Ctx {
  model: SiteModel;
  /** The site as written, schema defaults filled: its indexes are site.yaml's. */
  site: Site;
  /** The planned files of one cluster or host directory (`clusters/<name>`, `hosts/<name>`), sorted by path. */
  planned: (dir: string) => FilePlan[];
  add: Add;
  /** The site.yaml location of a path of the site (the nearest written ancestor when the path was defaulted). */
  at: At;
}

export const json = (v: unknown): string => (v === undefined ? '(absent)' : typeof v === 'string' ? v : JSON.stringify(v));
export const objectName = (kind: string, ns: string, name: string): string => `${kind} ${ns ? `${ns}/` : ''}${name}`;

/** Whether the collector dumped a resource (a kind it could not read is not judged). */
export function collected(c: ObservedCluster, resource: string): boolean {
  return c.files.includes(`clusters/${c.name}/${resource}.yaml`);
}

export function list(c: ObservedCluster, kind: string): ObservedObject[] {
  return c.objects.get(kind) ?? [];
}
