/**
 * The pages of docs/diagnostics/, made from the catalogue: one per code and an
 * index by family. scripts/gen-docs.mjs writes them; test/catalogue.test.ts
 * fails when the committed pages differ, as sqlc's check mode does.
 */
import { CATALOGUE, FAMILY_TITLES, type DiagnosticCode, type Family } from './catalogue.js';
import { compareStrings } from './util/order.js';

const anchor = (title: string): string =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

function codePage(code: DiagnosticCode): string {
  const c = CATALOGUE[code];
  const family = FAMILY_TITLES[c.family];
  return [
    `# \`${code}\`: ${c.title}`,
    '',
    `Severity: **${c.severity}**. Family: [${family}](README.md#${anchor(family)}).`,
    '',
    '## Why',
    '',
    c.explanation,
    '',
    '## Fix',
    '',
    c.fix,
    '',
    '<!-- Generated from src/catalogue.ts by scripts/gen-docs.mjs: edit the catalogue, not this page. -->',
    '',
  ].join('\n');
}

function indexPage(codes: DiagnosticCode[]): string {
  const lines = [
    '# Diagnostics',
    '',
    'Every problem sitec reports carries a code. Errors stop the build (exit 2) and nothing is written;',
    'warnings are printed and the build goes on. Each code has a page with why the rule exists and how to fix it.',
    '',
  ];
  for (const family of Object.keys(FAMILY_TITLES) as Family[]) {
    const mine = codes.filter((c) => CATALOGUE[c].family === family);
    if (mine.length === 0) continue;
    lines.push(`## ${FAMILY_TITLES[family]}`, '', '| code | severity | what |', '| --- | --- | --- |');
    for (const code of mine) lines.push(`| [\`${code}\`](${code}.md) | ${CATALOGUE[code].severity} | ${CATALOGUE[code].title} |`);
    lines.push('');
  }
  lines.push('<!-- Generated from src/catalogue.ts by scripts/gen-docs.mjs: edit the catalogue, not this page. -->', '');
  return lines.join('\n');
}

/** Every page, keyed by its path under docs/diagnostics/. */
export function diagnosticsDocs(): Map<string, string> {
  const codes = (Object.keys(CATALOGUE) as DiagnosticCode[]).sort(compareStrings);
  const pages = new Map<string, string>([['README.md', indexPage(codes)]]);
  for (const code of codes) pages.set(`${code}.md`, codePage(code));
  return pages;
}
