import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import { describeFsError, isFsError } from '../util/fs.js';
import { MAX_SITE_BYTES } from './load.js';
import { resolve } from 'node:path';
import { stampOf } from '../util/stamp.js';

export interface SiteInput {
  file: string;
  text?: string;
  /** The file's stat stamp, taken before it was read (util/stamp.ts); none for standard input. */
  stamp?: string;
  diagnostics: Diagnostic[];
}

const fail = (file: string, code: DiagnosticCode, message: string, hint?: string): SiteInput => ({
  file,
  diagnostics: [{ code, severity: 'error', message, location: { file, line: 1, column: 1 }, ...(hint ? { hint } : {}) }],
});

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Why a file could not be taken as text: a diagnostic code, a message and a hint, for the caller to locate. */
export interface ReadProblem {
  code: 'input-unreadable' | 'input-not-a-file' | 'input-too-large' | 'input-encoding' | 'input-binary';
  message: string;
  hint?: string;
}

/**
 * Reads a text file without trusting it: only a regular file, its size checked
 * before reading, never more than the limit read (a /proc file that says it is
 * empty included), and text that is not UTF-8 (binary, UTF-16) refused in one
 * line instead of shown. `what` names the file in messages ("the site file"),
 * `name` in those that say it could not be read.
 * The site file and every extra resource file are read with it.
 */
export function readBoundedText(file: string, what: string, name = file): { text: string; stamp?: string } | { problem: ReadProblem } {
  const problem = (code: ReadProblem['code'], message: string, hint?: string) => ({ problem: { code, message, ...(hint ? { hint } : {}) } });
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (!isFsError(err)) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : describeFsError(e, 'open').replace(/^cannot open \S+: /, '');
    return problem('input-unreadable', `cannot read ${name}: ${why}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return problem('input-not-a-file', `cannot read ${name}: it is ${kindOf(st)}`);
    const tooLarge = () => problem('input-too-large', `${what} is larger than ${MAX_SITE_BYTES} bytes`, 'a file this large is almost certainly not hand-written; split it or check what generated it');
    if (st.size > MAX_SITE_BYTES) return tooLarge();
    // Stamped before it is read: a change while it is read gives the file a stamp this one is not.
    const stamp = stampOf(fstatSync(fd, { bigint: true }));
    // Read at most one byte past the limit: a file that grows while read is still caught. A file
    // whose size says 0 (a /proc file) may hold anything: up to the limit is read from it.
    const buf = Buffer.allocUnsafe((st.size === 0 ? MAX_SITE_BYTES : Math.min(st.size, MAX_SITE_BYTES)) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) break;
    }
    if (n > MAX_SITE_BYTES) return tooLarge();
    const decoded = decode(buf.subarray(0, n), what, problem);
    return 'text' in decoded ? { ...decoded, stamp } : decoded;
  } catch (err) {
    if (!isFsError(err)) throw err;
    return problem('input-unreadable', `cannot read ${name}: ${describeFsError(err as NodeJS.ErrnoException, 'read').replace(/^cannot read \S+: /, '')}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a site file without trusting it (readBoundedText). A file that cannot
 * be opened or is not a regular file has no place to point at.
 */
export function readSiteFile(file: string, cwd?: string): SiteInput {
  // Read where cwd says, reported as the user named it.
  return siteInput(file, readBoundedText(cwd === undefined ? file : resolve(cwd, file), 'the site file', file));
}

/**
 * A site given as bytes (standard input, `sitec validate -`), held to the same
 * rules as a file: the size limit, UTF-8 text, no binary.
 */
export function siteFromBytes(file: string, bytes: Uint8Array): SiteInput {
  const problem = (code: ReadProblem['code'], message: string, hint?: string) => ({ problem: { code, message, ...(hint ? { hint } : {}) } });
  if (bytes.length > MAX_SITE_BYTES) return siteInput(file, problem('input-too-large', `the site is larger than ${MAX_SITE_BYTES} bytes`));
  return siteInput(file, decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), 'the site', problem));
}

function siteInput(file: string, read: { text: string; stamp?: string } | { problem: ReadProblem }): SiteInput {
  if ('text' in read) return { file, text: read.text, ...(read.stamp ? { stamp: read.stamp } : {}), diagnostics: [] };
  const { code, message } = read.problem;
  if (code === 'input-unreadable') return { file, diagnostics: [{ code, severity: 'error', message }] };
  if (code === 'input-not-a-file') return { file, diagnostics: [{ code, severity: 'error', message, hint: 'give the path of a site.yaml file' }] };
  if (code === 'input-too-large') return fail(file, code, message, 'a site.yaml this large is almost certainly not hand-written; split it or check what generated it');
  return fail(file, code, message, code === 'input-binary' ? 'give the path of a site.yaml file' : read.problem.hint);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(bytes: Buffer, what: string, problem: (code: ReadProblem['code'], message: string, hint?: string) => { problem: ReadProblem }): { text: string } | { problem: ReadProblem } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return problem('input-encoding', `${what} is UTF-16; sitec reads UTF-8`, 'save it as UTF-8 (iconv -f UTF-16 -t UTF-8)');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    // UTF-16 without a byte-order mark shows as every other byte zero.
    const utf16 = bytes.length >= 2 && (bytes[1] === 0 || bytes[0] === 0) && bytes.length % 2 === 0;
    return utf16
      ? problem('input-encoding', `${what} looks like UTF-16; sitec reads UTF-8`, 'save it as UTF-8 (iconv -f UTF-16 -t UTF-8)')
      : problem('input-binary', `${what} is binary (a NUL byte at offset ${nul}), not YAML text`, 'give the path of a YAML file');
  }
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    return problem('input-encoding', `${what} is not valid UTF-8`, 'save it as UTF-8');
  }
}
