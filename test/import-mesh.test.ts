/**
 * What the import reads of an Istio installation beyond the round trip's
 * happy path: a CLUSTER_ID other than the dump's cluster name, clusters with
 * different roots of trust, CoreDNS left on the node's resolv.conf, an ambient
 * namespace that names a waypoint it does not have, a mesh config selector the
 * site cannot write.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { importEstate, type ObservedEstate } from '../src/import/import.js';
import type { KubeObject } from '../src/import/ingress.js';

const tmp = mkdtempSync(join(tmpdir(), 'sitec-import-mesh-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function root(cn: string): string {
  const out = join(tmp, `${cn}.pem`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp, `${cn}.key`), '-days', '30', '-subj', `/O=lab/CN=${cn}`, '-out', out],
    { stdio: 'pipe' },
  );
  return readFileSync(out, 'utf8');
}

const cm = (ns: string, name: string, data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });
const node = (name: string, ip: string): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }] } });
const istiod = (clusterId: string, revision = 'default'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'istiod', namespace: 'istio-system' },
  spec: {
    template: {
      spec: {
        containers: [
          {
            name: 'discovery',
            image: 'docker.io/istio/pilot:1.30.3',
            env: [
              { name: 'REVISION', value: revision },
              { name: 'CLUSTER_ID', value: clusterId },
            ],
          },
        ],
      },
    },
  },
});

function cluster(name: string, objects: KubeObject[]) {
  return { name, objects: objects.map((object, i) => ({ object, source: { file: `clusters/${name}/dump.yaml`, line: i + 1 } })) };
}

describe('import of an Istio installation', () => {
  it('reports a CLUSTER_ID other than the cluster name, and clusters that trust different roots', () => {
    const mesh = cm('istio-system', 'istio', { mesh: stringify({ defaultConfig: { meshId: 'm1' }, trustDomain: 'corp.example' }) });
    const estate: ObservedEstate = {
      dir: 'observed',
      clusters: [
        cluster('a', [node('a-1', '10.0.0.1'), istiod('alpha'), mesh, cm('istio-system', 'istio-ca-root-cert', { 'root-cert.pem': root('root-a.example.com') })]),
        cluster('b', [node('b-1', '10.0.1.1'), istiod('b', 'canary'), mesh, cm('istio-system', 'istio-ca-root-cert', { 'root-cert.pem': root('root-b.example.com') })]),
      ],
      hosts: [],
    };
    const r = importEstate(estate);
    const items = r.report.items.map((i) => `${i.kind} ${i.where} ${i.subject}`);
    expect(items).toContain('conflict clusters/a cluster name');
    expect(items).toContain('conflict site mesh root certificate');
    expect(items).toContain('untranslatable clusters/a trustDomain');
    expect(items).not.toContain('conflict clusters/b cluster name');
    const [a, b] = (r.site.clusters as { istio: { revision?: string } }[]).map((c) => c.istio.revision);
    expect([a, b]).toEqual([undefined, 'canary']);
    expect(r.site.mesh).toMatchObject({ id: 'm1', ca: { tool: 'openssl', rootCommonName: 'root-a.example.com', organization: 'lab', keyType: 'ec-p256', rootValidityDays: 30 } });
  });

  it('leaves CoreDNS on resolv.conf out, and a waypoint label without its Gateway', () => {
    const corefile = '.:53 {\n    errors\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n}\n';
    const estate: ObservedEstate = {
      dir: 'observed',
      clusters: [
        cluster('c', [
          node('c-1', '10.0.2.1'),
          cm('kube-system', 'coredns', { Corefile: corefile }),
          cm('istio-system', 'istio', { mesh: stringify({ discoverySelectors: [{ matchLabels: { team: 'a' } }, { matchExpressions: [{ key: 'x', operator: 'Exists' }] }] }) }),
          { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ztunnel', namespace: 'istio-system' } },
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } } },
        ]),
      ],
      hosts: [],
    };
    const r = importEstate(estate);
    const c = (r.site.clusters as Record<string, unknown>[])[0]!;
    expect(c.coredns).toBeUndefined();
    expect(r.site.dataplane).toBe('ambient');
    expect(c.namespaces).toEqual([{ name: 'shop', injection: 'enabled' }]);
    expect((c.istio as { discoverySelectors: unknown }).discoverySelectors).toEqual([{ matchLabels: { team: 'a' } }]);
    expect(r.report.items.map((i) => `${i.kind} ${i.subject}`)).toContain('untranslatable discoverySelectors');
  });
});
