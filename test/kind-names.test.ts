import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileText, mutate, only, positionOf, root } from './helpers/site.js';

const kindText = readFileSync(join(root, 'examples/kind/site.yaml'), 'utf8');

describe('kind names: what kind creates is what every file uses', () => {
  it('examples/kind (seed 003: kind west/east, Istio west-cluster/east-cluster): runbook, install.sh and remote-secrets.sh agree', () => {
    const r = compileText(kindText);
    expect(r.diagnostics).toEqual([]);
    const file = (p: string) => r.files.find((f) => f.path === p)!.content;
    const readme = file('README.md');
    const install = file('scripts/install.sh');
    const secrets = file('scripts/remote-secrets.sh');
    const contexts = new Set([
      ...[...readme.matchAll(/use-context (\S+?)[`\n]/g)].map((m) => m[1]!),
      ...[...install.matchAll(/--context ([^\s"]+)/g)].map((m) => m[1]!),
      ...[...secrets.matchAll(/^remote (\S+) \S+ (\S+)/gm)].flatMap((m) => [m[1]!, m[2]!]),
    ]);
    expect([...contexts].sort()).toEqual(['kind-east', 'kind-west']);
    // Node names as kind makes them: <kind name>-control-plane.
    expect([...install.matchAll(/^label_node \S+ (\S+)$/gm)].map((m) => m[1]!).sort()).toEqual(['east-control-plane', 'west-control-plane']);
    // The kind config carries kind's name; Istio's clusterName and the remote secrets' --name carry the cluster's.
    for (const [cluster, kind] of [
      ['west-cluster', 'west'],
      ['east-cluster', 'east'],
    ]) {
      expect((parse(file(`clusters/${cluster}/kind-config.yaml`)) as { name: string }).name).toBe(kind);
      const io = parse(file(`clusters/${cluster}/istio-operator.yaml`)) as { spec: { values: { global: { multiCluster: { clusterName: string } } } } };
      expect(io.spec.values.global.multiCluster.clusterName).toBe(cluster);
      expect(secrets).toMatch(new RegExp(`^remote kind-${kind} ${cluster} `, 'm'));
    }
  });

  it('a context kind would not create is a located error', () => {
    const text = mutate(kindText, ['  - name: west-cluster\n    network: west-network\n', '  - name: west-cluster\n    network: west-network\n    context: kind-west-cluster\n']);
    const d = only(compileText(text), 'kind-context-mismatch');
    expect(d.path).toBe('clusters[0].context');
    expect(d.location).toMatchObject(positionOf(text, 'kind-west-cluster'));
    expect(d.message).toContain('kind-west');
  });

  it('a node name kind would not create is a located error naming the right one', () => {
    const text = mutate(kindText, ['{ name: west-control-plane, ip: 172.18.0.2', '{ name: west-cp, ip: 172.18.0.2']);
    const d = only(compileText(text), 'kind-node-name');
    expect(d.path).toBe('clusters[0].nodes[0].name');
    expect(d.location).toMatchObject(positionOf(text, 'west-cp'));
    expect(d.hint).toContain('use west-control-plane');
  });

  it('workers are numbered as kind numbers them', () => {
    const text = mutate(kindText, [
      '      - { name: west-control-plane, ip: 172.18.0.2, role: control-plane }\n',
      '      - { name: west-control-plane, ip: 172.18.0.2, role: control-plane }\n      - { name: west-worker, ip: 172.18.0.4, role: worker }\n      - { name: west-worker2, ip: 172.18.0.5, role: worker }\n',
    ]);
    expect(compileText(text).diagnostics.filter((d) => d.code === 'kind-node-name')).toEqual([]);
    const wrong = mutate(text, ['west-worker2,', 'west-worker-2,']);
    expect(only(compileText(wrong), 'kind-node-name').hint).toContain('use west-worker2');
  });
});
