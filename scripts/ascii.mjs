// The CommonJS files bin/load.js compiles are ASCII, so it reads them as latin1:
// the same text, without decoding UTF-8 (~3 ms of every start). esbuild escapes
// non-ASCII in code but keeps comments as written, and JSON.stringify keeps it in
// strings; `\uXXXX` means the same in strings, templates, regular expressions,
// identifiers and comments. It would not in a template's raw text, which nothing
// in these files reads (`.raw` appears nowhere: checked here).
import { readFileSync, writeFileSync } from 'node:fs';

export const asciiOnly = (text) => text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Rewrites `file` as ASCII; fails the build where the rewrite could change what it means. */
export function makeAscii(file) {
  const text = readFileSync(file, 'utf8');
  if (/\.raw\b/.test(text)) throw new Error(`${file} reads a template's raw text: escaping its non-ASCII characters could change it`);
  writeFileSync(file, asciiOnly(text));
}
