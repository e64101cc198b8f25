/**
 * What the first build of the imported site would change on the edge hosts:
 * its nginx server blocks compared, directive by directive, with the ones the
 * dump shows for the same host name and port, and the hand-made nat rules the
 * site's own chains would sit beside.
 */
import type { NginxDirective } from '../observe/model.js';
import { parseNginxConfig } from '../observe/nginx.js';
import type { OutputFile } from '../render/render.js';
import type { HostFacts } from './edge.js';
import { flatten } from './host.js';
import { item, type ReportItem } from './report.js';

const MAX_SHOWN = 12;

/** `files`: the build of the imported site; `hosts`: the dumps' facts. */
export function firstBuildChanges(files: readonly OutputFile[], hosts: readonly HostFacts[]): ReportItem[] {
  const items: ReportItem[] = [];
  for (const h of hosts) {
    if (!h.nginx) continue;
    const where = `hosts/${h.name}`;
    const built: { names: string[]; ssl: boolean; port: number; flat: string[]; file: string }[] = [];
    for (const f of files.filter((f) => f.path.startsWith(`hosts/${h.name}/nginx/conf.d/`) && f.path.endsWith('.conf'))) {
      const walk = (ds: readonly NginxDirective[]) => {
        for (const d of ds) {
          if (d.name === 'server' && d.block) {
            const listen = d.block.find((x) => x.name === 'listen');
            const port = Number(/(\d+)$/.exec(listen?.args[0] ?? '80')?.[1] ?? 80);
            built.push({ names: d.block.filter((x) => x.name === 'server_name').flatMap((x) => x.args), ssl: listen?.args.includes('ssl') ?? false, port, flat: flatten(d.block), file: f.path });
          } else if (d.block) walk(d.block);
        }
      };
      walk(parseNginxConfig(f.content, f.path));
    }
    for (const s of h.nginx.servers) {
      const ssl = s.listens.some((l) => l.ssl);
      const name = s.serverNames[0];
      if (!name) continue;
      const twin = built.find((b) => b.names.includes(name) && b.ssl === ssl);
      if (!twin) {
        items.push(
          item('would-change', where, `nginx server ${name}${ssl ? ' (TLS)' : ''}`, 'the site writes no server block for this host name and port: it stays as it is, outside sitec', [s.source]),
        );
        continue;
      }
      const removed = s.flat.filter((l) => !twin.flat.includes(l));
      const added = twin.flat.filter((l) => !s.flat.includes(l));
      if (removed.length === 0 && added.length === 0) continue;
      const shown = [...removed.map((l) => `- ${l}`), ...added.map((l) => `+ ${l}`)];
      items.push(
        item(
          'would-change',
          where,
          `nginx server ${name}${ssl ? ' (TLS)' : ''}`,
          `the site's server block (${twin.file}) differs from the one nginx runs: ${shown.slice(0, MAX_SHOWN).join('; ')}${shown.length > MAX_SHOWN ? `; and ${shown.length - MAX_SHOWN} more` : ''}. Install the site's files in place of this block, not beside it (two blocks for one name and port: nginx warns and serves the first)`,
          [s.source],
        ),
      );
    }
  }
  for (const h of hosts) {
    const foreign = h.dnat.filter((d) => !d.comment?.startsWith('sitec:'));
    if (foreign.length === 0) continue;
    items.push(
      item(
        'would-change',
        `hosts/${h.name}`,
        `${foreign.length} DNAT rule(s) typed by hand`,
        "the site's apply.sh adds its own chains and leaves these rules where they are: delete them once the site's rules are in, or the hand-made ones keep matching first",
        foreign.map((d) => d.source),
      ),
    );
  }
  return items;
}
