/**
 * A value of the site being imported with a note on each field naming its
 * source. Notes are keyed by the field's dotted path relative to the value
 * (`ports.1.nodePort`, or '' for the value itself) and become YAML comments.
 */
import { formatSource, type Source } from './report.js';

export interface Annotated<T> {
  value: T;
  notes: Map<string, string>;
}

export class Notes {
  readonly map = new Map<string, string>();
  /** Notes `path` with the source (or free text); a second note on the same path is appended. */
  add(path: string, source: Source | string): void {
    const text = typeof source === 'string' ? source : formatSource(source);
    const had = this.map.get(path);
    this.map.set(path, had && had !== text ? `${had}; ${text}` : text);
  }
  /** Copies another value's notes under `prefix`. */
  nest(prefix: string, notes: Map<string, string>): void {
    for (const [p, t] of notes) this.add(p === '' ? prefix : `${prefix}.${p}`, t);
  }
}
