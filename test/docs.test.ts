import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fg from 'fast-glob';
import { root } from './helpers/site.js';

// The customers and clouds the examples were first written for (a rename of the example names leaves a `const OLD = [...]` list alone).
const OLD = [/x2bee/i, /ncloud/i, /\bnhn\b/i, /\bkt\b/i, /\bK2P\b/i];
// What a user reads: the README, every docs page, and the schema (its descriptions are the
// field reference and the editor's hover text).
const userPages = (): string[] => ['README.md', ...fg.sync('docs/**/*.md', { cwd: root }).sort()];

// Pages other parts of the issue 27 work add; the index links them before they land.
const PENDING = new Set(['docs/cli.md', 'docs/helm.md', 'docs/diagnostics-format.md']);

describe('the documentation', () => {
  it('keeps the README short, with the two commands the hooks and CI run', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThan(200);
    expect(readme).toContain('npm ci && npm run example');
    expect(readme).toContain('npm test');
    // Install from a clone works unpublished: the tarball and the linked clone.
    expect(readme).toContain('npm pack');
    expect(readme).toMatch(/npm i -g \.\/sitec-[\d.]+\.tgz/);
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(readme).toContain(`sitec-${version}.tgz`);
  });

  it('uses no internal vocabulary in anything a user reads', () => {
    const internal = new RegExp([/\bseeds? \d{3}\b/, /DOMAIN\.md/, /field reports?\b/, ...OLD].map((r) => r.source).join('|'), 'i');
    const found: string[] = [];
    for (const page of [...userPages(), 'schemas/site.schema.json']) {
      readFileSync(join(root, page), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (internal.test(line)) found.push(`${page}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });

  it('names no customer or provider in anything shipped or rendered: examples, starters, renderings, blueprints, sources, schemas', () => {
    const found: string[] = [];
    const files = fg.sync(['examples/**', 'templates/**', 'out/**', 'blueprints/**', 'src/**', 'schemas/**', 'integrations/**'], { cwd: root, dot: true }).sort();
    expect(files.length).toBeGreaterThan(100);
    for (const file of files)
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (OLD.some((r) => r.test(line))) found.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    expect(found).toEqual([]);
  });

  it('links only to files that exist', () => {
    const broken: string[] = [];
    for (const page of userPages()) {
      const text = readFileSync(join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
        const file = join(dirname(page), target!.split('#')[0]!);
        if (!existsSync(join(root, file)) && !PENDING.has(file)) broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
