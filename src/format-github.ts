import type { Diagnostic } from './diagnostics.js';

// GitHub Actions workflow commands: data escapes %, CR and LF; properties also : and ,.
const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const property = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * Diagnostics as GitHub Actions annotations, one line each:
 * `::error file=site.yaml,line=3,col=7,title=schema-format::message`, which the
 * runner shows on the pull request's diff at that line.
 */
export function githubAnnotations(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const props: string[] = [];
      if (d.location) {
        const l = d.location;
        props.push(`file=${property(l.file)}`, `line=${l.line}`, `col=${l.column}`);
        if (l.endLine !== undefined) props.push(`endLine=${l.endLine}`);
        if (l.endColumn !== undefined && l.endLine === l.line) props.push(`endColumn=${l.endColumn}`);
      }
      props.push(`title=${property(`sitec ${d.code}${d.path ? ` at ${d.path}` : ''}`)}`);
      const message = d.hint ? `${d.message}\nhint: ${d.hint}` : d.message;
      return `::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${data(message)}\n`;
    })
    .join('');
}
