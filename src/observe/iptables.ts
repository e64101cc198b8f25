import { ObserveError, type IptablesChain, type IptablesRule } from './model.js';

/**
 * Splits one iptables-save rule line into words the way iptables-save quotes them:
 * double quotes group, a backslash escapes the next character inside quotes.
 */
export function splitIptablesWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= text.length) break;
    let word = '';
    while (i < text.length && text[i] !== ' ' && text[i] !== '\t') {
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          word += text[i];
          i++;
        }
        if (i >= text.length) throw new Error('unterminated quote');
        i++;
      } else {
        word += text[i];
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

/**
 * Parses `iptables-save` / `ip6tables-save` output: `*table`, `:CHAIN POLICY [p:b]`,
 * `-A CHAIN ...` rules, `COMMIT`, `#` comments. Each rule keeps its options in order,
 * its target, its comment and its position in the chain.
 */
export function parseIptablesSave(text: string, file: string, family: 'ipv4' | 'ipv6'): { chains: IptablesChain[]; rules: IptablesRule[] } {
  const chains: IptablesChain[] = [];
  const rules: IptablesRule[] = [];
  const counts = new Map<string, number>();
  let table = '';
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const source = { file, line: i + 1 };
    if (line.trim() === '' || line.startsWith('#')) return;
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      return;
    }
    if (line === 'COMMIT') {
      table = '';
      return;
    }
    if (table === '') throw new ObserveError(`${file}:${i + 1}: a line outside a table: ${line}`, source);
    if (line.startsWith(':')) {
      const [name = '', policy = '-'] = line.slice(1).split(/\s+/);
      chains.push({ family, table, name, policy, source });
      return;
    }
    let words: string[];
    try {
      words = splitIptablesWords(line);
    } catch {
      throw new ObserveError(`${file}:${i + 1}: unterminated quote`, source);
    }
    if (words[0] !== '-A' || words.length < 2) throw new ObserveError(`${file}:${i + 1}: not an iptables-save line: ${line}`, source);
    const chain = words[1]!;
    const key = `${table}/${chain}`;
    const index = counts.get(key) ?? 0;
    counts.set(key, index + 1);
    const rule: IptablesRule = { family, table, chain, index, options: [], modules: [], target: '', comment: '', text: line, source };
    let negated = false;
    for (let w = 2; w < words.length; w++) {
      const word = words[w]!;
      if (word === '!') {
        negated = true;
        continue;
      }
      if (!word.startsWith('-')) continue;
      const name = word.replace(/^--?/, '');
      // An option takes the words up to the next option (most take one; some, like --set-xmark, take one too).
      const values: string[] = [];
      while (w + 1 < words.length && !(words[w + 1]!.startsWith('-') && words[w + 1]!.length > 1 && isNaN(Number(words[w + 1]))) && words[w + 1] !== '!') {
        values.push(words[++w]!);
      }
      const value = values.join(' ');
      if (name === 'm') rule.modules.push(value);
      else if (name === 'j' || name === 'g') rule.target = value;
      else if (name === 'comment') rule.comment = value;
      rule.options.push({ name, value, negated });
      negated = false;
    }
    rules.push(rule);
  });
  return { chains, rules };
}

/** The first value of an option of a rule (`dport`, `d`, `to-destination`), or undefined. */
export function ruleOption(rule: IptablesRule, name: string): string | undefined {
  return rule.options.find((o) => o.name === name)?.value;
}
