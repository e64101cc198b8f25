/**
 * The plain-scalar rules of YAML 1.2's core schema exactly as the `yaml`
 * package resolves them (its dist/schema/core: null, bool, int, float): the
 * YAML writer knows from them which words it may write unquoted
 * (render/yaml-writer.ts).
 */
const CORE_SCALARS: readonly RegExp[] = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];

const ANY_RULE = new RegExp(CORE_SCALARS.map((test) => `(?:${test.source})`).join('|'));

/**
 * The first characters a core-schema non-string can start with (`~ n N t T f F . + -`,
 * a digit; or it is empty): a word starting otherwise is a string, whatever the rules say.
 */
const FIRST = /^[~nNtTfF.+\-0-9]/;

/** True when a plain scalar with this text would be read as something other than a string. */
export const readsAsNonString = (s: string): boolean => (s.length === 0 || FIRST.test(s)) && ANY_RULE.test(s);
