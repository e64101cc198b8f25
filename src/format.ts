import type { GroupSummary } from './review/diff.js';
import type { Explanation } from './review/explain.js';
import type { Diagnostic } from './diagnostics.js';

export interface FormatOptions {
  /** The site text, for code frames. */
  source?: string;
  color?: boolean;
}

const paint = (on: boolean, code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/**
 * `file:line:col  path  message`, then a code frame with a caret under the
 * offending token (as tsc and vite print), then the hint.
 */
export function formatDiagnostic(d: Diagnostic, opts: FormatOptions = {}): string {
  const color = opts.color ?? false;
  const red = paint(color, '31');
  const yellow = paint(color, '33');
  const cyan = paint(color, '36');
  const dim = paint(color, '2');
  const where = d.location ? `${d.location.file}:${d.location.line}:${d.location.column}` : '(site)';
  const sev = d.severity === 'error' ? red('error') : yellow('warning');
  const head = [cyan(where), d.path, d.message].filter((s) => s !== undefined && s !== '').join('  ');
  const lines = [head, `  ${sev} ${dim(d.code)}`];
  if (d.location && opts.source !== undefined) lines.push(...codeFrame(opts.source, d, color));
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join('\n');
}

function codeFrame(source: string, d: Diagnostic, color: boolean): string[] {
  const loc = d.location!;
  const all = source.split(/\r?\n/);
  const text = all[loc.line - 1];
  if (text === undefined) return [];
  const gutter = String(loc.line + 1).length;
  const num = (n: number) => String(n).padStart(gutter);
  const out: string[] = [];
  if (loc.line > 1) out.push(`  ${num(loc.line - 1)} | ${all[loc.line - 2]}`);
  out.push(`> ${num(loc.line)} | ${text}`);
  const end = loc.endLine === loc.line && loc.endColumn && loc.endColumn > loc.column ? loc.endColumn : loc.column + 1;
  const width = Math.max(1, Math.min(end, text.length + 1) - loc.column);
  const caret = '^'.repeat(width);
  out.push(`  ${' '.repeat(gutter)} | ${' '.repeat(loc.column - 1)}${color ? `\u001b[31m${caret}\u001b[0m` : caret}`);
  return out;
}


/** One line per cluster, edge host and the site's own files: what a build did or would do. */
export function formatSummary(out: string, groups: GroupSummary[]): string {
  const width = Math.max(...groups.map((g) => g.group.length), 4);
  const lines = groups.map((g) => {
    const parts = [g.added && `${g.added} added`, g.changed && `${g.changed} changed`, g.removed && `${g.removed} removed`].filter(Boolean);
    return `  ${g.group.padEnd(width)}  ${parts.length ? parts.join(', ') : 'unchanged'}`;
  });
  return [`${out}:`, ...lines].join('\n');
}

export function formatExplanation(e: Explanation): string {
  if (e.hops.length === 0) return `${e.query}: not found in the site`;
  const title = e.kind === 'host' ? `${e.query}, hop by hop:` : `${e.query} is:`;
  const blocks = e.hops.map((h, i) => {
    const lines = [`${i + 1}. ${h.step}`, `   ${h.detail}`, `   from ${h.location.file}:${h.location.line} (${h.path})`];
    if (h.files.length) lines.push(`   files: ${h.files.join(', ')}`);
    return lines.join('\n');
  });
  return [title, '', blocks.join('\n\n')].join('\n');
}
