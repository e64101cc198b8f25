import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import type { Diagnostic } from '../diagnostics.js';
import { describeFsError, isFsError } from '../util/fs.js';
import { MAX_SITE_BYTES } from './load.js';

export interface SiteInput {
  file: string;
  text?: string;
  diagnostics: Diagnostic[];
}

const fail = (file: string, code: string, message: string, hint?: string): SiteInput => ({
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

/**
 * Reads a site file without trusting it: only a regular file, its size checked
 * before reading, never more than the limit read, and text that is not UTF-8
 * (binary, UTF-16) refused in one line instead of shown.
 */
export function readSiteFile(file: string): SiteInput {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (!isFsError(err)) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : describeFsError(e, 'open').replace(/^cannot open \S+: /, '');
    return { file, diagnostics: [{ code: 'input-unreadable', severity: 'error', message: `cannot read ${file}: ${why}` }] };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { file, diagnostics: [{ code: 'input-not-a-file', severity: 'error', message: `cannot read ${file}: it is ${kindOf(st)}`, hint: 'give the path of a site.yaml file' }] };
    if (st.size > MAX_SITE_BYTES) return tooLarge(file);
    // Read at most one byte past the limit: a file that grows while read is still caught.
    const buf = Buffer.allocUnsafe(Math.min(st.size, MAX_SITE_BYTES) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) break;
    }
    if (n > MAX_SITE_BYTES) return tooLarge(file);
    return decode(file, buf.subarray(0, n));
  } catch (err) {
    if (!isFsError(err)) throw err;
    return {
      file,
      diagnostics: [{ code: 'input-unreadable', severity: 'error', message: `cannot read ${file}: ${describeFsError(err as NodeJS.ErrnoException, 'read').replace(/^cannot read \S+: /, '')}` }],
    };
  } finally {
    closeSync(fd);
  }
}

function tooLarge(file: string): SiteInput {
  return fail(file, 'input-too-large', `site file is larger than ${MAX_SITE_BYTES} bytes`, 'a site.yaml this large is almost certainly not hand-written; split it or check what generated it');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(file: string, bytes: Buffer): SiteInput {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return fail(file, 'input-encoding', 'the site file is UTF-16; sitec reads UTF-8', 'save it as UTF-8 (iconv -f UTF-16 -t UTF-8)');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    // UTF-16 without a byte-order mark shows as every other byte zero.
    const utf16 = bytes.length >= 2 && (bytes[1] === 0 || bytes[0] === 0) && bytes.length % 2 === 0;
    return utf16
      ? fail(file, 'input-encoding', 'the site file looks like UTF-16; sitec reads UTF-8', 'save it as UTF-8 (iconv -f UTF-16 -t UTF-8)')
      : fail(file, 'input-binary', `the site file is binary (a NUL byte at offset ${nul}), not YAML text`, 'give the path of a site.yaml file');
  }
  try {
    return { file, text: utf8.decode(bytes), diagnostics: [] };
  } catch {
    return fail(file, 'input-encoding', 'the site file is not valid UTF-8', 'save it as UTF-8');
  }
}
