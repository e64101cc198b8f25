import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build, compile, compileFile, formatDiagnostics, type Diagnostic } from '../src/index.js';
import { walk } from '../src/emit/tree.js';
import { PROPERTY, exampleText, mutate, root } from './helpers/site.js';
import { validateObject } from './helpers/validate-objects.js';
import { libraryYaml } from '../src/render/yaml-writer.js';
import { header } from '../src/render/render.js';

/**
 * Mutated sites: keys deleted, types swapped, list items duplicated, shell and
 * nginx metacharacters, huge numbers, look-alike unicode, deep nesting, alias
 * bombs. The compiler must never throw; a failure is a located diagnostic; a
 * success renders only files that pass their own validators.
 * CI runs a fixed seed; `npm run test:property` runs a larger budget.
 */
const RUNS = PROPERTY.runs;
const SEED = PROPERTY.seed;

const bases = readdirSync(join(root, 'examples'))
  .sort()
  .map((name) => readFileSync(join(root, 'examples', name, 'site.yaml'), 'utf8'));

type Path = (string | number)[];
function paths(doc: Document): Path[] {
  const out: Path[] = [];
  const walk = (node: unknown, path: Path) => {
    if (path.length) out.push(path);
    if (isMap(node)) for (const pair of node.items) walk(pair.value, [...path, String((pair.key as { value: unknown }).value)]);
    else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    }
  };
  walk(doc.contents, []);
  return out;
}

const payloads = ['a;reboot', '$(id)', '`id`', 'x\ny', '}', '#', "'", '"', '../../etc/passwd', 'ａpp.example.com', 'аpp.example.com', '\u0000', ' ', '', '*'];
const strange = [0, -1, 65536, 2 ** 31, 2 ** 53 + 1, 1e308, -0.5, 3.14, true, false, null, 'x', [], {}, [1, 2], { a: 1 }];
const deep = (depth: number): unknown => (depth === 0 ? 'leaf' : depth % 2 ? [deep(depth - 1)] : { k: deep(depth - 1) });

type Mutation = { kind: 'delete' | 'swap' | 'duplicate' | 'inject' | 'lookalike' | 'deep'; pick: number; value: number };
const mutation = fc.record({
  kind: fc.constantFrom('delete', 'swap', 'duplicate', 'inject', 'lookalike', 'deep'),
  pick: fc.nat(),
  value: fc.nat(),
}) as fc.Arbitrary<Mutation>;

function apply(text: string, mutations: Mutation[]): string {
  const doc = parseDocument(text);
  for (const m of mutations) {
    const all = paths(doc);
    if (all.length === 0) break;
    const path = all[m.pick % all.length]!;
    const node = doc.getIn(path, true);
    switch (m.kind) {
      case 'delete':
        doc.deleteIn(path);
        break;
      case 'swap':
        doc.setIn(path, doc.createNode(strange[m.value % strange.length]));
        break;
      case 'duplicate': {
        const parent = doc.getIn(path.slice(0, -1), true);
        if (isSeq(parent) && typeof path[path.length - 1] === 'number') parent.items.push(doc.createNode((doc.getIn(path) as unknown) ?? null));
        break;
      }
      case 'inject': {
        const current = isScalar(node) ? String(node.value) : '';
        const p = payloads[m.value % payloads.length]!;
        doc.setIn(path, m.value % 2 ? current + p : p);
        break;
      }
      case 'lookalike':
        if (isScalar(node) && typeof node.value === 'string' && node.value.length > 0)
          doc.setIn(
            path,
            node.value.replace(/a|e|o/, (c) => ({ a: 'а', e: 'е', o: 'о' })[c]!),
          );
        break;
      case 'deep':
        doc.setIn(path, doc.createNode(deep(50 + (m.value % 200))));
        break;
    }
  }
  return doc.toString();
}

/** What a terminal is shown never carries a raw control character from the input. */
function printsSafely(diagnostics: Diagnostic[], text: string): void {
  const shown = formatDiagnostics(diagnostics, { source: text, max: 50 });
  // eslint-disable-next-line no-control-regex -- it matches control characters on purpose
  expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
}

function checkOutcome(text: string): void {
  let result: ReturnType<typeof compile>;
  try {
    result = compile(text, { file: 'mutant.yaml' });
  } catch (err) {
    throw new Error(`compile threw ${(err as Error).stack}\n--- input ---\n${text.slice(0, 2000)}`);
  }
  printsSafely(result.diagnostics, text);
  if (!result.ok) {
    expect(result.files).toEqual([]);
    expect(result.diagnostics.length).toBeGreaterThan(0);
    for (const d of result.diagnostics) {
      expect(d.code).toMatch(/^[a-z0-9-]+$/);
      expect(d.message.length).toBeGreaterThan(0);
      expect(d.location?.file).toBe('mutant.yaml');
      expect(d.location!.line).toBeGreaterThanOrEqual(1);
      expect(d.location!.column).toBeGreaterThanOrEqual(1);
    }
    return;
  }
  // The direct YAML writer wrote what the library's Document writes.
  const planned = compile(text, { file: 'mutant.yaml', render: false }).plan!;
  const byPath = new Map(result.files.map((f) => [f.path, f.content]));
  for (const f of planned) if (f.format === 'yaml') expect(byPath.get(f.path), f.path).toBe(libraryYaml(f.object, ` ${header(result.model!.site)}`));
  for (const f of result.files) {
    // Helm values files are chart input, not objects (test/helm.test.ts renders them).
    if (f.path.endsWith('.yaml') && !f.path.includes('/helm/')) expect(validateObject(f.path, f.content)).toEqual([]);
    if (f.path.endsWith('.sh')) {
      const r = spawnSync('bash', ['-n'], { input: f.content, encoding: 'utf8' });
      expect(r.status, `${f.path}: ${r.stderr}`).toBe(0);
    }
  }
}

describe('property: mutated sites', () => {
  it(`never throw; fail located or succeed valid (${RUNS} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), (b, ms) => checkOutcome(apply(bases[b]!, ms))),
      { seed: SEED, numRuns: RUNS },
    );
  }, 600_000);

  it('alias bombs and anchors at any depth', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 }), (width, depth) => {
        const lines = [`x0: &x0 [${Array(width).fill('z').join(', ')}]`];
        for (let i = 1; i < depth; i++)
          lines.push(
            `x${i}: &x${i} [${Array(width)
              .fill(`*x${i - 1}`)
              .join(', ')}]`,
          );
        checkOutcome(`${lines.join('\n')}\n${bases[0]}`);
      }),
      { seed: SEED, numRuns: Math.min(RUNS, 60) },
    );
  });

  it('arbitrary text never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        checkOutcome(text);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('property: bytes and trees', () => {
  it('arbitrary bytes as a site file: never throw, one diagnostic or a compile, printed safely', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-bytes-'));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(Buffer.from(exampleText, 'utf16le'), Buffer.from('\u001b[2J\u0007site: x\n'))), (bytes) => {
        const file = join(dir, 'site.yaml');
        writeFileSync(file, bytes);
        const r = compileFile(file);
        if (!r.ok) expect(r.diagnostics.length).toBeGreaterThan(0);
        printsSafely(r.diagnostics, r.text ?? '');
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('any sequence of builds into one directory leaves exactly what a fresh build of the last site writes, and no empty directory', () => {
    const variants = [
      exampleText,
      mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']),
      mutate(exampleText, ['host: hello-idc.example.com', 'host: bye-idc.example.com']),
      exampleText.slice(0, exampleText.indexOf('\nedges:') + 1),
      mutate(exampleText, ['site: example-idc', 'site: other-site']),
    ];
    const shape = (dir: string) => [...walk(dir)].map(([p, e]) => `${p} ${e.kind}`).join('\n');
    fc.assert(
      fc.property(fc.array(fc.nat(variants.length - 1), { minLength: 1, maxLength: 5 }), (seq) => {
        const base = mkdtempSync(join(tmpdir(), 'sitec-seq-'));
        const site = join(base, 'site.yaml');
        for (const v of seq) {
          writeFileSync(site, variants[v]!);
          expect(build({ site, out: join(base, 'out'), force: true }).ok).toBe(true);
        }
        build({ site, out: join(base, 'fresh') });
        expect(shape(join(base, 'out'))).toBe(shape(join(base, 'fresh')));
        for (const [p, e] of walk(join(base, 'out'))) if (e.kind === 'file') expect(lstatSync(join(base, 'out', p)).size, p).toBe(lstatSync(join(base, 'fresh', p)).size);
      }),
      { seed: SEED, numRuns: Math.min(RUNS, 25) },
    );
  }, 120_000);
});
