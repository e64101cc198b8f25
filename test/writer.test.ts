import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emit } from '../src/emit/emit.js';
import { WORKER_FROM_FILES, fileWriter } from '../src/emit/writer.js';

const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const files = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ path: `d${i % 7}/sub/f${String(i).padStart(4, '0')}.yaml`, content: `n: ${i}\né: ${'x'.repeat(i % 50)}\n`, mode: i % 5 === 0 ? 0o755 : 0o644 }));

describe('the staged files are written on a worker thread for big trees, byte for byte as on this one', () => {
  for (const [name, n] of [
    ['on this thread', 10],
    ['on a worker', WORKER_FROM_FILES + 100],
  ] as const) {
    it(`${name}: every file with its bytes and mode, and its digest in the order written`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'sitec-writer-'));
      const list = files(n);
      const w = fileWriter(n, 0o022);
      for (const f of list) w.write(join(dir, f.path), f.content, f.mode);
      expect(w.finish()).toEqual(list.map((f) => digest(f.content)));
      for (const f of list) {
        expect(readFileSync(join(dir, f.path), 'utf8')).toBe(f.content);
        expect(lstatSync(join(dir, f.path)).mode & 0o777).toBe(f.mode);
      }
      w.settle();
    });
  }

  it('a write that fails on the worker is thrown by finish as the file-system error it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-writer-'));
    writeFileSync(join(dir, 'taken'), 'a file where a directory is needed');
    const w = fileWriter(WORKER_FROM_FILES, 0o022);
    w.write(join(dir, 'ok.yaml'), 'a', 0o644);
    w.write(join(dir, 'taken', 'x.yaml'), 'b', 0o644);
    let thrown: NodeJS.ErrnoException | undefined;
    try {
      w.finish();
    } catch (err) {
      thrown = err as NodeJS.ErrnoException;
    }
    expect(thrown?.code).toMatch(/^(ENOTDIR|EEXIST)$/);
    expect(thrown?.syscall).toBe('mkdir');
    expect(thrown?.path).toContain('taken');
  });

  it('a render that fails half way through a big tree leaves the output as it was, with no staging directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-writer-'));
    const out = join(dir, 'out');
    const list = files(WORKER_FROM_FILES * 2).sort((a, b) => (a.path < b.path ? -1 : 1));
    function* failing() {
      for (const [i, f] of list.entries()) {
        if (i === WORKER_FROM_FILES + 10) throw new Error('render failed');
        yield f;
      }
    }
    expect(() => emit({ paths: list.map((f) => f.path), files: failing() }, out, 's', { cwd: dir })).toThrow('render failed');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    // And the same tree, rendered whole, is written whole.
    expect(emit(list, out, 's', { cwd: dir }).ok).toBe(true);
    const manifest = JSON.parse(readFileSync(join(out, '.sitec-manifest.json'), 'utf8')) as { files: Record<string, string> };
    for (const f of list) expect(manifest.files[f.path], f.path).toBe(digest(f.content));
    expect(readdirSync(out).filter((n) => n.startsWith('.sitec-'))).toEqual(['.sitec-manifest.json']);
  });
});
