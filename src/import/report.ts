/**
 * What `sitec import` could not put in the site.yaml it writes: conflicts
 * (two sources disagree; both are named, the one the site follows is said),
 * objects and rules nothing in the site explains, values the first build would
 * change, annotations with no equivalent, and values no dump shows (written as
 * placeholders). The report is the JSON below and import-report.md.
 */

/** Where an imported value was read: a dump file and the object or rule in it, or file:line of `nginx -T`. */
export interface Source {
  /** Relative to the observed directory: clusters/idc/services.yaml, hosts/ive/nginx-T.txt. */
  file: string;
  /** The object (`Service istio-system/istio-ingressgateway`) or the rule it came from. */
  object?: string;
  line?: number;
}

export type ReportKind = 'conflict' | 'unexplained' | 'would-change' | 'untranslatable' | 'missing';

/** The catalogue code of each kind of report item. */
export const REPORT_CODES = {
  conflict: 'import-conflict',
  unexplained: 'import-unexplained',
  'would-change': 'import-would-change',
  untranslatable: 'import-untranslatable',
  missing: 'import-missing',
} as const satisfies Record<ReportKind, string>;

export interface ReportItem {
  kind: ReportKind;
  code: (typeof REPORT_CODES)[ReportKind];
  /** clusters/<name> or hosts/<name>. */
  where: string;
  /** What it is about: an object, a rule, a field of the site. */
  subject: string;
  message: string;
  /** Every source involved; a conflict names at least two. */
  sources: Source[];
  /** The site.yaml field the item concerns, as a dotted path (clusters.0.istio.ingressGateway.ports.1.nodePort). */
  field?: string;
  /** A conflict: the value the site got and why. */
  chosen?: string;
}

export interface ImportReport {
  complete: boolean;
  items: ReportItem[];
  /** What the import read: clusters and hosts of the observed directory. */
  read: { clusters: string[]; hosts: string[] };
}

export function formatSource(s: Source): string {
  return `${s.file}${s.line !== undefined ? `:${s.line}` : ''}${s.object ? ` (${s.object})` : ''}`;
}

export function item(kind: ReportKind, where: string, subject: string, message: string, sources: Source[], extra: { field?: string; chosen?: string } = {}): ReportItem {
  return { kind, code: REPORT_CODES[kind], where, subject, message, sources, ...extra };
}

const SECTION_TITLES: Record<ReportKind, string> = {
  conflict: 'Conflicts: two sources disagree',
  unexplained: 'Unexplained objects and rules',
  missing: 'Values no dump shows (placeholders in site.yaml)',
  untranslatable: 'Annotations and settings with no equivalent',
  'would-change': 'What the first build would change',
};
const ORDER: ReportKind[] = ['conflict', 'unexplained', 'missing', 'untranslatable', 'would-change'];

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** import-report.md: one section per kind, each item with its sources. */
export function reportMarkdown(report: ImportReport, siteFile: string): string {
  const lines: string[] = ['# Import report', ''];
  lines.push(`Read: ${report.read.clusters.map((c) => `clusters/${c}`).join(', ') || 'no cluster'}; ${report.read.hosts.map((h) => `hosts/${h}`).join(', ') || 'no host'}.`, '');
  const counts = ORDER.map((k) => [k, report.items.filter((i) => i.kind === k).length] as const);
  lines.push(
    report.complete
      ? `The import is complete: ${siteFile} describes everything the dumps show.`
      : `The import is not complete: ${counts
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')}. Read each item before the first build.`,
    '',
  );
  for (const kind of ORDER) {
    const items = report.items.filter((i) => i.kind === kind);
    if (items.length === 0) continue;
    lines.push(`## ${SECTION_TITLES[kind]}`, '');
    for (const i of items) {
      lines.push(`### ${i.where}: ${i.subject}`, '', `\`${i.code}\`: ${i.message}`, '');
      if (i.chosen) lines.push(`The site has: ${i.chosen}`, '');
      if (i.field) lines.push(`Field: \`${i.field}\``, '');
      if (i.sources.length > 0) {
        lines.push('| source | object or rule |', '| --- | --- |');
        for (const s of i.sources) lines.push(`| ${cell(`${s.file}${s.line !== undefined ? `:${s.line}` : ''}`)} | ${cell(s.object ?? '')} |`);
        lines.push('');
      }
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
