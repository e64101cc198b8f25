/**
 * The plain-scalar rules of YAML 1.2's core schema exactly as the `yaml`
 * package resolves them (its dist/schema/core: null, bool, int, float, in its
 * order): the fast parser reads plain scalars by them (load/fast.ts), and the
 * YAML writer knows from them which words it may write unquoted
 * (render/yaml-writer.ts).
 */
export type CoreRule = [test: RegExp, value: (s: string) => unknown];

export const CORE_SCALARS: readonly { tag: string; rules: readonly CoreRule[] }[] = [
  { tag: 'tag:yaml.org,2002:null', rules: [[/^(?:~|[Nn]ull|NULL)?$/, () => null]] },
  { tag: 'tag:yaml.org,2002:bool', rules: [[/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T']] },
  {
    tag: 'tag:yaml.org,2002:int',
    rules: [
      [/^0o[0-7]+$/, (s) => parseInt(s.slice(2), 8)],
      [/^[-+]?[0-9]+$/, (s) => parseInt(s, 10)],
      [/^0x[0-9a-fA-F]+$/, (s) => parseInt(s.slice(2), 16)],
    ],
  },
  {
    tag: 'tag:yaml.org,2002:float',
    rules: [
      [/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, (s) => (s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY)],
      [/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, parseFloat],
      [/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, parseFloat],
    ],
  },
];

const ANY_RULE = new RegExp(CORE_SCALARS.flatMap(({ rules }) => rules.map(([test]) => `(?:${test.source})`)).join('|'));

/**
 * The first characters a core-schema non-string can start with (`~ n N t T f F . + -`,
 * a digit; or it is empty): a word starting otherwise is a string, whatever the rules say.
 */
export const mayReadAsNonString = (s: string): boolean => s.length === 0 || FIRST.test(s);
const FIRST = /^[~nNtTfF.+\-0-9]/;

/** True when a plain scalar with this text would be read as something other than a string. */
export const readsAsNonString = (s: string): boolean => mayReadAsNonString(s) && ANY_RULE.test(s);
