/**
 * A value no one may change, all the way down: what the resolve stage hands on
 * (the plan, render and emit stages read the model and never write it).
 */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends ReadonlyMap<infer K, infer V>
    ? ReadonlyMap<K, DeepReadonly<V>>
    : T extends readonly (infer U)[]
      ? readonly DeepReadonly<U>[]
      : T extends object
        ? { readonly [P in keyof T]: DeepReadonly<T[P]> }
        : T;

/** Freezes a value and everything it holds (tests prove the later stages never write the resolved model). */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  const seen = new Set<object>();
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    Object.freeze(v);
    for (const k of Reflect.ownKeys(v)) todo.push((v as Record<string | symbol, unknown>)[k]);
  }
  return value as DeepReadonly<T>;
}
