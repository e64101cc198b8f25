import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic } from './diagnostics.js';
import { describeFsError, exists as pathExists, isFsError, makeDirs } from './util/fs.js';
import { packageRoot, schemaPath } from './util/paths.js';

/**
 * The starter sites, in templates/: the shapes of the shipped examples with
 * neutral names and addresses (example.com, the RFC 5737 documentation
 * networks), so what init writes refers to nobody's estate. A test builds each.
 */
export const INIT_TEMPLATES = ['onprem', 'multicluster', 'kind'] as const;
export type InitTemplate = (typeof INIT_TEMPLATES)[number];

export interface InitResult {
  ok: boolean;
  path?: string;
  /** The site schema written beside it (or already there, current), which the modeline names. */
  schema?: string;
  diagnostics: Diagnostic[];
}

/** The name of the site schema sitec writes beside a site (sitec schema <dir>, sitec init). */
export const SCHEMA_FILE = 'site.schema.json';
/** The modeline init writes: relative to the site file, which is how yaml-language-server resolves it, so it works offline and wherever the directory moves. */
export const SCHEMA_MODELINE = `# yaml-language-server: $schema=./${SCHEMA_FILE}`;

export interface SchemaFileResult {
  ok: boolean;
  path: string;
  /** false: the file was already this schema, byte for byte. */
  written: boolean;
  diagnostics: Diagnostic[];
}

/** A file is a sitec site schema, of any version, when it is JSON whose $id is the site schema's. */
function isSiteSchema(text: string, id: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && (v as { $id?: unknown }).$id === id;
  } catch {
    return false;
  }
}

/** What stands in the way of writing the schema into dir: a file of that name that is not a sitec site schema. */
function schemaConflict(target: string, shipped: string): Diagnostic | undefined {
  if (!pathExists(target)) return undefined;
  let text: string;
  try {
    text = readFileSync(target, 'utf8');
  } catch (err) {
    if (!isFsError(err)) throw err;
    return { code: 'schema-file-write-failed', severity: 'error', message: describeFsError(err), hint: 'choose a directory you can write to' };
  }
  const id = (JSON.parse(shipped) as { $id: string }).$id;
  if (isSiteSchema(text, id)) return undefined;
  return { code: 'schema-file-foreign', severity: 'error', message: `${target} exists and is not a sitec site schema`, hint: 'move the file away; sitec replaces only a site schema it wrote' };
}

/**
 * Writes this sitec's site schema as <dir>/site.schema.json, for editors to read
 * offline: a new file, or over an older sitec site schema (never over another
 * file). Written whole through a temporary file and a rename.
 */
export function writeSchema(opts: { dir?: string; cwd?: string }): SchemaFileResult {
  const dir = resolve(opts.cwd ?? process.cwd(), opts.dir ?? '.');
  const target = join(dir, SCHEMA_FILE);
  const shipped = readFileSync(schemaPath, 'utf8');
  const conflict = schemaConflict(target, shipped);
  if (conflict) return { ok: false, path: target, written: false, diagnostics: [conflict] };
  try {
    if (pathExists(target) && readFileSync(target, 'utf8') === shipped) return { ok: true, path: target, written: false, diagnostics: [] };
    makeDirs(dir);
    const tmp = join(dir, `.${SCHEMA_FILE}.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, shipped, { flag: 'wx' });
      renameSync(tmp, target);
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch (err) {
    if (!isFsError(err)) throw err;
    return {
      ok: false,
      path: target,
      written: false,
      diagnostics: [{ code: 'schema-file-write-failed', severity: 'error', message: describeFsError(err), hint: 'choose a directory you can write to' }],
    };
  }
  return { ok: true, path: target, written: true, diagnostics: [] };
}

/**
 * Writes <dir>/site.yaml from a template and this sitec's site schema beside it
 * (writeSchema), the modeline naming that file; never overwrites the site, nor
 * a site.schema.json that is not sitec's.
 */
export function init(opts: { template?: string; dir?: string; cwd?: string }): InitResult {
  const template = opts.template ?? 'onprem';
  if (!(INIT_TEMPLATES as readonly string[]).includes(template)) {
    return { ok: false, diagnostics: [{ code: 'init-unknown-template', severity: 'error', message: `no template "${template}"`, hint: `templates: ${INIT_TEMPLATES.join(', ')}` }] };
  }
  const dir = resolve(opts.cwd ?? process.cwd(), opts.dir ?? '.');
  const target = join(dir, 'site.yaml');
  const exists = {
    ok: false,
    path: target,
    diagnostics: [
      { code: 'init-exists' as const, severity: 'error' as const, message: `${target} already exists`, hint: 'sitec init never overwrites; choose another directory or move the file away' },
    ],
  };
  if (pathExists(target)) return exists;
  const conflict = schemaConflict(join(dir, SCHEMA_FILE), readFileSync(schemaPath, 'utf8'));
  if (conflict) return { ok: false, path: target, diagnostics: [conflict] };
  const text = readFileSync(join(packageRoot, 'templates', template, 'site.yaml'), 'utf8');
  // A schema file beside the site: editors read it offline, after the npx cache that ran init is
  // cleared (a path into node_modules would not resolve), and `sitec schema <dir>` refreshes it.
  const schema = writeSchema({ dir });
  if (!schema.ok) return { ok: false, path: target, diagnostics: schema.diagnostics };
  try {
    // wx: a file (or a dangling link) that appeared meanwhile is never overwritten.
    writeFileSync(target, text.replace(/^# yaml-language-server: \$schema=\S+$/m, SCHEMA_MODELINE), { flag: 'wx' });
  } catch (err) {
    if (!isFsError(err)) throw err;
    if (schema.written) rmSync(schema.path, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (err as NodeJS.ErrnoException).path === target) return exists;
    return {
      ok: false,
      path: target,
      diagnostics: [{ code: 'init-write-failed', severity: 'error', message: describeFsError(err as NodeJS.ErrnoException), hint: 'choose a directory you can write to' }],
    };
  }
  return { ok: true, path: target, schema: schema.path, diagnostics: [] };
}
