import { createColors } from 'picocolors';
import type { GroupSummary } from './review/diff.js';
import type { Explanation } from './review/explain.js';
import type { Diagnostic, Location, RelatedLocation } from './diagnostics.js';

export interface FormatOptions {
  /** The site text, for code frames. */
  source?: string;
  /** Other files diagnostics may point into (extra resource files), by the name they show: a frame quotes the file its diagnostic is in. */
  sources?: ReadonlyMap<string, string>;
  /** The site file as named in locations: a diagnostic located in another file (a journal in the output directory) gets no frame of the site text. */
  file?: string;
  color?: boolean;
}

const palette = (on: boolean) => createColors(on);

/** Characters shown in a frame around the caret; a longer line is cut with an ellipsis on the cut side. */
const FRAME_WIDTH = 120;

/**
 * Text from the site file made safe for a terminal: control characters (ESC,
 * BEL, CR, …), DEL, C1 controls and bidirectional overrides become visible
 * escapes, so a site file cannot recolour, retitle or reorder the screen.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- it matches control characters on purpose
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Splitting the source once per text, not once per diagnostic: printing N diagnostics stays linear. */
let linesOf: { source: string; lines: string[] } | undefined;
function sourceLines(source: string): string[] {
  if (linesOf?.source !== source) linesOf = { source, lines: source.split(/\r?\n/) };
  return linesOf.lines;
}

/** The text a location points into, when the caller gave it: a frame quotes the file its location is in. */
function textOf(loc: Location, opts: FormatOptions): string | undefined {
  return opts.sources?.get(loc.file) ?? (opts.file === undefined || opts.file === loc.file ? opts.source : undefined);
}

/**
 * `file:line:col  path  message`, then a code frame with a caret under the
 * offending token (as tsc and vite print), then each related place (tsc's
 * relatedInformation) with its own line and caret, then the hint.
 */
export function formatDiagnostic(d: Diagnostic, opts: FormatOptions = {}): string {
  const color = opts.color ?? false;
  const { red, yellow, dim } = palette(color);
  const sev = d.severity === 'error' ? red('error') : yellow('warning');
  const hint = d.hint ? [`  hint: ${printable(d.hint)}`] : [];
  const related = (d.related ?? []).flatMap((r) => formatRelated(r, opts));
  // Without a place in the site file (the output directory, the file itself): one line and the hint.
  if (!d.location) return [`${sev} ${dim(d.code)}: ${printable(d.message)}`, ...related, ...hint].join('\n');
  const lines = [placeLine(d.location, d.path, d.message, color), `  ${sev} ${dim(d.code)}`];
  const text = textOf(d.location, opts);
  if (text !== undefined) lines.push(...codeFrame(text, d.location, color));
  return [...lines, ...related, ...hint].join('\n');
}

/** `file:line:col  path  message`, every part printable. */
function placeLine(loc: Location, path: string | undefined, message: string, color: boolean): string {
  const where = `${printable(loc.file)}:${loc.line}:${loc.column}`;
  return [palette(color).cyan(where), path && printable(path), printable(message)].filter((s) => s !== undefined && s !== '').join('  ');
}

/** `  related: file:line:col  path  message`, then the one line it points at with its caret, indented under it. */
function formatRelated(r: RelatedLocation, opts: FormatOptions): string[] {
  const color = opts.color ?? false;
  const text = textOf(r, opts);
  const frame = text === undefined ? [] : codeFrame(text, r, color, false).map((l) => `  ${l}`);
  return [`  related: ${placeLine(r, r.path, r.message, color)}`, ...frame];
}

/**
 * Every diagnostic, or the first `max` and a line saying how many more there
 * are, then the error and warning counts.
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], opts: FormatOptions & { max?: number } = {}): string {
  const max = opts.max ?? Infinity;
  const parts: string[] = [];
  for (let i = 0; i < diagnostics.length && i < max; i++) parts.push(`${formatDiagnostic(diagnostics[i]!, opts)}\n\n`);
  if (diagnostics.length > max) parts.push(`… and ${diagnostics.length - max} more (--json lists them all)\n`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  parts.push(`${errors} error(s), ${diagnostics.length - errors} warning(s)\n`);
  return parts.join('');
}

/** The line a location points at with a caret under it; `before` adds the line above for context (a related place shows its own line only). */
function codeFrame(source: string, loc: Location, color: boolean, before = true): string[] {
  const all = sourceLines(source);
  const text = all[loc.line - 1];
  if (text === undefined) return [];
  const gutter = String(loc.line + 1).length;
  const num = (n: number) => String(n).padStart(gutter);
  const end = loc.endLine === loc.line && loc.endColumn && loc.endColumn > loc.column ? loc.endColumn : loc.column + 1;
  // The window of the line shown: the whole line when short, else FRAME_WIDTH characters around the caret.
  const from = text.length <= FRAME_WIDTH ? 0 : Math.max(0, Math.min(loc.column - 1 - 20, text.length - FRAME_WIDTH));
  const clip = (line: string, start: number) => {
    if (line.length <= FRAME_WIDTH && start === 0) return printable(line);
    const cut = line.slice(start, start + FRAME_WIDTH);
    return `${start > 0 ? '…' : ''}${printable(cut)}${start + FRAME_WIDTH < line.length ? '…' : ''}`;
  };
  const out: string[] = [];
  if (before && loc.line > 1) out.push(`  ${num(loc.line - 1)} | ${clip(all[loc.line - 2]!, 0)}`);
  out.push(`> ${num(loc.line)} | ${clip(text, from)}`);
  // Columns count escaped characters as they are printed, so the caret stays under its token.
  const lead = (from > 0 ? 1 : 0) + printable(text.slice(from, Math.max(from, loc.column - 1))).length;
  const last = Math.min(end - 1, text.length, from + FRAME_WIDTH);
  const width = Math.max(1, printable(text.slice(Math.max(from, loc.column - 1), last)).length);
  const caret = '^'.repeat(width);
  out.push(`  ${' '.repeat(gutter)} | ${' '.repeat(lead)}${palette(color).red(caret)}`);
  return out;
}

/** One line per cluster, edge host and the site's own files: what a build did or would do. */
export function formatSummary(out: string, groups: GroupSummary[]): string {
  const width = Math.max(...groups.map((g) => g.group.length), 4);
  const lines = groups.map((g) => {
    const parts = [g.added && `${g.added} added`, g.changed && `${g.changed} changed`, g.removed && `${g.removed} removed`].filter(Boolean);
    return `  ${g.group.padEnd(width)}  ${parts.length ? parts.join(', ') : 'unchanged'}`;
  });
  return [`${printable(out)}:`, ...lines].join('\n');
}

export function formatExplanation(e: Explanation): string {
  const query = printable(e.query);
  if (e.hops.length === 0) return `${query}: not found in the site`;
  const title = e.kind === 'ip' ? `${query} is:` : `${query}, hop by hop:`;
  const blocks = e.hops.map((h, i) => {
    const lines = [`${i + 1}. ${h.step}`, `   ${h.detail}`, `   from ${printable(h.location.file)}:${h.location.line} (${h.path})`];
    if (h.files.length) lines.push(`   files: ${h.files.join(', ')}`);
    if (h.overrides) lines.push(`   changed by: ${h.overrides.join(', ')} in site.yaml`);
    return lines.join('\n');
  });
  return [title, '', blocks.join('\n\n')].join('\n');
}
