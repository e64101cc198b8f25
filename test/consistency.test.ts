import { describe, expect, it } from 'vitest';
import { compileText, exampleText, mutate } from './helpers/site.js';

describe('one port number per purpose', () => {
  it('changing the gateway node port moves the Service, the DNAT rules and the nginx upstream together', () => {
    const before = compileText(exampleText);
    const after = compileText(mutate(exampleText, ['nodePort: 30347', 'nodePort: 31347']));
    expect(after.ok).toBe(true);
    const old = new Map(before.files.map((f) => [f.path, f.content]));
    const changed = after.files.filter((f) => old.get(f.path) !== f.content).map((f) => f.path);
    expect(changed.sort()).toEqual([
      'README.md',
      'clusters/idc/istio-operator.yaml',
      'hosts/ive/README.md',
      'hosts/ive/iptables/apply.sh',
      'hosts/ive/iptables/rules.v4',
      'hosts/ive/nginx/conf.d/00-sitec-example-idc.conf',
    ]);
    const content = (path: string) => after.files.find((f) => f.path === path)!.content;
    expect(content('clusters/idc/istio-operator.yaml')).toContain('port: 80\n                targetPort: 8080\n                nodePort: 31347\n');
    expect(content('hosts/ive/iptables/rules.v4')).toContain('--to-destination 10.10.10.11:31347');
    expect(content('hosts/ive/iptables/rules.v4')).toContain('-d 10.10.10.11/32 -p tcp -m tcp --dport 31347');
    expect(content('hosts/ive/nginx/conf.d/00-sitec-example-idc.conf')).toContain('server 10.10.10.11:31347 max_fails=3 fail_timeout=10s;\n    server 10.10.10.12:31347 max_fails=3 fail_timeout=10s;');
    // With the public port (typed on the edge, 30347 as in seed 000) moved too, the old node port is gone everywhere.
    const both = compileText(mutate(exampleText, ['nodePort: 30347', 'nodePort: 31347'], ['{ publicPort: 30347,', '{ publicPort: 8080,']));
    for (const f of both.files) expect(f.content, f.path).not.toContain('30347');
  });

  it('the public port is the only number typed on the edge: editing it touches the host files alone', () => {
    const before = compileText(exampleText);
    const after = compileText(mutate(exampleText, ['{ publicPort: 30347,', '{ publicPort: 8080,']));
    const old = new Map(before.files.map((f) => [f.path, f.content]));
    const changed = after.files.filter((f) => old.get(f.path) !== f.content).map((f) => f.path);
    // remove.sh names only the edge's tag and chains: it removes any version's rules, so it does not change.
    expect(changed.sort()).toEqual(['README.md', 'hosts/ive/README.md', 'hosts/ive/iptables/apply.sh', 'hosts/ive/iptables/rules.v4']);
  });
});
