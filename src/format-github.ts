import type { Diagnostic, Location, RelatedLocation } from './diagnostics.js';

// GitHub Actions workflow commands: data escapes %, CR and LF; properties also : and ,.
const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const property = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** `file=…,line=…,col=…` and the end when known: the position parameters every annotation command takes. */
function position(l: Location): string[] {
  const props = [`file=${property(l.file)}`, `line=${l.line}`, `col=${l.column}`];
  if (l.endLine !== undefined) props.push(`endLine=${l.endLine}`);
  if (l.endColumn !== undefined && l.endLine === l.line) props.push(`endColumn=${l.endColumn}`);
  return props;
}

const at = (l: Location) => `${l.file}:${l.line}:${l.column}`;

/**
 * Diagnostics as GitHub Actions annotations, one line each:
 * `::error file=site.yaml,line=3,col=7,title=schema-format::message`, which the
 * runner shows on the pull request's diff at that line.
 *
 * An annotation has no field for related places (title, file, line, col,
 * endLine, endColumn only), so each one is written twice: as a `related:` line
 * of its diagnostic's message, which keeps every annotation complete on its
 * own, and as a `::notice` at the place itself, so the diff marks both halves
 * of a conflict. The notices come after every error and warning: the runner
 * caps annotations per step and per job, and a notice must never crowd out a
 * diagnostic. A place several diagnostics point at gets one notice.
 */
export function githubAnnotations(diagnostics: readonly Diagnostic[]): string {
  const lines: string[] = [];
  const notices = new Map<string, string>();
  for (const d of diagnostics) {
    const props = d.location ? position(d.location) : [];
    props.push(`title=${property(`sitec ${d.code}${d.path ? ` at ${d.path}` : ''}`)}`);
    const related = (d.related ?? []).map((r) => `related: ${at(r)}${r.path ? ` ${r.path}` : ''}: ${r.message}`);
    const message = [d.message, ...related, ...(d.hint ? [`hint: ${d.hint}`] : [])].join('\n');
    lines.push(`::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${data(message)}\n`);
    for (const r of d.related ?? []) {
      const key = JSON.stringify([r.file, r.line, r.column, r.message]);
      if (!notices.has(key)) notices.set(key, notice(r, d));
    }
  }
  return [...lines, ...notices.values()].join('');
}

/** `::notice` at a related place, naming the diagnostic it belongs to. */
function notice(r: RelatedLocation, d: Diagnostic): string {
  const props = [...position(r), `title=${property(`sitec ${d.code}: related${r.path ? ` ${r.path}` : ''}`)}`];
  const where = d.location ? ` at ${at(d.location)}` : '';
  return `::notice ${props.join(',')}::${data(`${r.message}\n(the ${d.severity}${where}: ${d.message})`)}\n`;
}
