import { LineCounter, isMap, isPair, isScalar, isSeq } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseDocuments } from '../src/load/load.js';
import { parseInPieces } from '../src/load/pieces.js';
import { compile } from '../src/index.js';
// @ts-expect-error plain ESM script shared with the benchmark
import { syntheticSite } from '../scripts/synthetic-site.mjs';

/** Every node of a document with its kind, range and value, in order: what positions and data come from. */
function shape(node: unknown, out: string[] = []): string[] {
  if (isMap(node) || isSeq(node)) {
    out.push(`${isMap(node) ? 'map' : 'seq'} ${node.range?.join(',')} ${node.flow ? 'flow' : 'block'}`);
    for (const item of node.items) {
      if (isPair(item)) {
        shape(item.key, out);
        shape(item.value, out);
      } else shape(item, out);
    }
  } else if (isScalar(node)) out.push(`scalar ${node.range?.join(',')} ${node.type} ${JSON.stringify(node.value)}`);
  else out.push(String(node));
  return out;
}

describe('a big site is composed a piece at a time into the document a whole parse gives', () => {
  const sites = [['2,000 flow-style routes over 10 clusters', syntheticSite({ routes: 2000, clusters: 10 })]] as const;
  for (const [name, text] of sites) {
    it(name, () => {
      const pieces = parseInPieces(text);
      const lineCounter = new LineCounter();
      const whole = parseDocuments(text, lineCounter);
      expect(pieces, name).toBeDefined();
      expect(whole).toHaveLength(1);
      expect(shape(pieces!.doc.contents)).toEqual(shape(whole[0]!.contents));
      expect(pieces!.doc.toJS()).toEqual(whole[0]!.toJS());
      expect(pieces!.lineCounter.lineStarts).toEqual(lineCounter.lineStarts);
    });
  }

  it('block-style items with comments between them keep their nodes and ranges', () => {
    const items = Array.from({ length: 700 }, (_, i) => `  # item ${i}\n  - name: n${i} # trailing\n    value: ${i}\n\n`).join('');
    const text = `site: s\nitems:\n${items}# the end\nafter: [1, 2]\n`;
    const pieces = parseInPieces(text);
    const whole = parseDocuments(text, new LineCounter());
    expect(whole[0]!.errors).toEqual([]);
    expect(pieces).toBeDefined();
    expect(shape(pieces!.doc.contents)).toEqual(shape(whole[0]!.contents));
    expect(pieces!.doc.toJS()).toEqual(whole[0]!.toJS());
  });

  for (const [name, text] of [
    ['an alias (its anchor may lie in another batch)', `${syntheticSite({ routes: 600, clusters: 2 })}extra: &a 1\nmore: *a\n`],
    ['a tag', `${syntheticSite({ routes: 600, clusters: 2 })}extra: !!str 1\n`],
    ['a duplicate key inside an item', syntheticSite({ routes: 600, clusters: 2 }).replace('{ host: app300.example.com,', '{ host: app300.example.com, host: x,')],
    ['two documents', `${syntheticSite({ routes: 600, clusters: 2 })}---\nsite: b\n`],
  ] as const) {
    it(`${name}: not in pieces; the whole parse decides`, () => {
      expect(parseInPieces(text)).toBeUndefined();
    });
  }

  it('a big site with an error inside a batch reports it as the whole parse does', () => {
    const text = syntheticSite({ routes: 3000, clusters: 2 }).replace('{ host: app1500.example.com,', '{ host: app1500.example.com, host: x,');
    const r = compile(text, { file: 'site.yaml' });
    expect(r.diagnostics.map((d) => [d.code, d.location?.line])).toEqual([['yaml-duplicate-key', text.slice(0, text.indexOf('host: x')).split('\n').length]]);
  });
});
