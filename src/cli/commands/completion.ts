/**
 * `sitec completion bash|zsh|fish`: a completion script made from the commands
 * and options program.ts declares, so it never falls behind them. Load it with
 * `source <(sitec completion bash)`, `source <(sitec completion zsh)` or
 * `sitec completion fish | source`. Site arguments complete as file names.
 */
import { optionNames, UsageError } from '../args.js';
import type { AnyCommand, CommandSpec, OptionSpec } from '../command.js';
import { EXIT, type CliIo } from '../io.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** Every word in these scripts is one of sitec's own names; descriptions are quoted for each shell. */
const takesValue = (o: OptionSpec) => o.flags.includes('<');

/**
 * bash's `case $prev` arms: what may follow an option that takes a value. One arm per option name: the first kind
 * that claims a name keeps it (a values list, then a directory, then a plain value), so `-o` of build (a directory)
 * and of import (a file) give one pattern.
 */
function bashValueCases(all: readonly OptionSpec[]): string {
  const claimed = new Set<string>();
  const cases = (pick: (o: OptionSpec) => boolean, action: (o: OptionSpec) => string) =>
    all
      .filter(pick)
      .filter((o, i, list) => list.findIndex((x) => x.flags === o.flags) === i)
      .filter((o) => {
        const names = optionNames(o.flags).filter((n) => !claimed.has(n));
        for (const n of names) claimed.add(n);
        return names.length === optionNames(o.flags).length;
      })
      .map((o) => `    ${optionNames(o.flags).join('|')}) ${action(o)}; return ;;`)
      .join('\n');
  return [
    cases(
      (o) => o.values !== undefined,
      (o) => `mapfile -t COMPREPLY < <(compgen -W '${o.values!.join(' ')}' -- "$cur")`,
    ),
    cases(
      (o) => o.directory === true,
      () => `mapfile -t COMPREPLY < <(compgen -d -- "$cur")`,
    ),
    cases(
      (o) => takesValue(o) && o.values === undefined && o.directory !== true,
      () => ':',
    ),
  ].join('\n');
}

function bash(commands: readonly AnyCommand[], globals: readonly OptionSpec[]): string {
  const all = [...commands.flatMap((c) => c.options), ...globals];
  const valued = [...new Set(all.filter(takesValue).flatMap((o) => optionNames(o.flags)))];
  const words = (c: AnyCommand) => [...c.options, ...globals].flatMap((o) => optionNames(o.flags)).join(' ');
  return `# bash completion for sitec: source <(sitec completion bash)
_sitec() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd='' i
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
    ${valued.join('|')}) ((i++)) ;;
    -*) ;;
    *) cmd=\${COMP_WORDS[i]}; break ;;
    esac
  done
  case $prev in
${bashValueCases(all)}
  esac
  local opts
  case $cmd in
  '') opts='${globals.flatMap((o) => optionNames(o.flags)).join(' ')}'
    if [[ $cur != -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W '${commands.map((c) => c.name).join(' ')}' -- "$cur")
      return
    fi ;;
${commands.map((c) => `  ${c.name}) opts='${words(c)}' ;;`).join('\n')}
  *) return ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
    return
  fi
  case $cmd in
${commands
  .filter((c) => c.argValues)
  .map((c) => `  ${c.name}) mapfile -t COMPREPLY < <(compgen -W '${c.argValues!.join(' ')}' -- "$cur") ;;`)
  .join('\n')}
  esac
  # Anything else (site files, directories): readline's file names (complete -o default).
}
complete -o default -F _sitec sitec
`;
}

/** zsh: _arguments [descriptions] escape [ ] and \; _describe takes the text after an item's first colon as it is. ' closes the shell quote. */
function zsh(commands: readonly AnyCommand[], globals: readonly OptionSpec[]): string {
  const quoted = (s: string) => s.replace(/'/g, `'\\''`);
  const esc = (s: string) => quoted(s.replace(/\\/g, '\\\\').replace(/[[\]]/g, (c) => `\\${c}`));
  const spec = (o: OptionSpec) => {
    const names = optionNames(o.flags);
    const value = takesValue(o) ? (o.values ? `:value:(${o.values.join(' ')})` : o.directory ? ':directory:_files -/' : ':value:') : '';
    const head = names.length > 1 ? `'(${names.join(' ')})'{${names.join(',')}}'` : `'${names[0]}`;
    return `${head}[${esc(o.description)}]${value}'`;
  };
  const args = (c: AnyCommand) => (c.argValues ? `'*:value:(${c.argValues.join(' ')})'` : c.args === '' ? '' : `'*:file:_files'`);
  return `#compdef sitec
# zsh completion for sitec: source <(sitec completion zsh)
_sitec() {
  local -a commands
  commands=(
${commands.map((c) => `    '${c.name}:${quoted(c.description)}'`).join('\n')}
  )
  local curcontext=$curcontext state line
  _arguments -C ${globals.map(spec).join(' ')} '1: :->command' '*:: :->args' && return
  case $state in
  command) _describe -t commands 'sitec command' commands ;;
  args)
    case $line[1] in
${commands.map((c) => `    ${c.name}) _arguments ${[...c.options, ...globals].map(spec).join(' ')} ${args(c)} ;;`).join('\n')}
    esac ;;
  esac
}
compdef _sitec sitec
`;
}

/** fish: one `complete` line per command and option. */
function fish(commands: readonly AnyCommand[], globals: readonly OptionSpec[]): string {
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const opt = (o: OptionSpec, condition: string) => {
    const names = optionNames(o.flags);
    const long = names.find((n) => n.startsWith('--'))!.slice(2);
    const short = names.find((n) => !n.startsWith('--'))?.slice(1);
    const value = takesValue(o) ? (o.values ? ` -x -a ${q(o.values.join(' '))}` : o.directory ? ` -r -a '(__fish_complete_directories)'` : ' -x') : '';
    return `complete -c sitec -n ${q(condition)} -l ${long}${short ? ` -s ${short}` : ''}${value} -d ${q(o.description)}`;
  };
  const names = commands.map((c) => c.name).join(' ');
  return [
    '# fish completion for sitec: sitec completion fish | source',
    'complete -c sitec -f',
    ...commands.map((c) => `complete -c sitec -n '__fish_use_subcommand' -a ${c.name} -d ${q(c.description)}`),
    ...globals.map((o) => opt(o, 'true')),
    ...commands.flatMap((c) => [
      ...c.options.map((o) => opt(o, `__fish_seen_subcommand_from ${c.name}`)),
      ...(c.argValues
        ? [`complete -c sitec -n ${q(`__fish_seen_subcommand_from ${c.name}`)} -a ${q(c.argValues.join(' '))}`]
        : c.args === ''
          ? []
          : [`complete -c sitec -n ${q(`__fish_seen_subcommand_from ${c.name}`)} -F`]),
    ]),
    `# commands: ${names}`,
    '',
  ].join('\n');
}

/** The completion command over the commands program.ts has (a function: it is one of them). */
export function completionCommand(commands: () => readonly AnyCommand[], globals: readonly OptionSpec[]): CommandSpec<Record<string, never>> {
  return {
    name: 'completion',
    args: '<shell>',
    usage: 'completion <shell>',
    description: 'Print a completion script for bash, zsh or fish (source <(sitec completion bash))',
    options: [],
    argValues: SHELLS,
    run(io: CliIo, [shell]: string[]): number {
      if (!(SHELLS as readonly string[]).includes(shell!)) throw new UsageError(`completion is for ${SHELLS.join(', ')}, not "${shell}"`, `sitec completion bash`);
      const make = { bash, zsh, fish }[shell as Shell];
      io.stdout(make(commands(), globals));
      return EXIT.ok;
    },
  };
}
