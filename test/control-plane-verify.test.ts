import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../src/verify.js';
import { root } from './helpers/site.js';

/**
 * `sitec verify` over dumps taken from a real API server (test/fixtures/control-plane-dumps/,
 * made by test/control-plane.test.ts; docs/control-plane.md). Every object sitec applied was
 * read back by a real kube-apiserver with its defaults, and MetalLB's real controller wrote the
 * gateway's status: none of that may be drift. What the test's control plane lacks is a kubelet,
 * a scheduler and a controller manager, so what verify must find is exactly this, and nothing else:
 *
 * - verify-no-endpoints for every Service a route sends to: no pod runs, so no EndpointSlice exists;
 * - verify-gateway-pods for every node an edge host forwards to: no gateway pod runs anywhere;
 * - verify-gateway-no-address for a LoadBalancer gateway of a cluster without MetalLB pools (a
 *   cloud's, whose address comes from the cloud's load balancer controller, which is not there).
 */
const fixtures = join(root, 'test', 'fixtures', 'control-plane-dumps');

const EXPECTED: Record<string, string[]> = {
  ambient: [
    'verify-gateway-pods clusters/lab Node worker-1',
    'verify-gateway-pods clusters/lab Node worker-2',
    'verify-no-endpoints clusters/lab Service catalog/catalog',
    'verify-no-endpoints clusters/lab Service shop/storefront',
  ],
  combined: [
    'verify-no-endpoints clusters/cloud-a Service shop/storefront',
    'verify-gateway-no-address clusters/cloud-c Service istio-system/istio-ingressgateway',
    'verify-no-endpoints clusters/cloud-c Service shop/payments',
  ],
  csp: ['verify-no-endpoints clusters/nks Service shop/storefront'],
  dualstack: ['verify-gateway-pods clusters/dc Node worker-1', 'verify-gateway-pods clusters/dc Node worker-2', 'verify-no-endpoints clusters/dc Service web/frontend'],
  'gateway-api': [
    'verify-gateway-pods clusters/dc1 Node worker-1',
    'verify-gateway-pods clusters/dc1 Node worker-2',
    'verify-no-endpoints clusters/dc1 Service data/postgres',
    'verify-no-endpoints clusters/dc1 Service data/postgres-tls',
    'verify-no-endpoints clusters/dc1 Service shop/storefront',
  ],
  kind: ['verify-no-endpoints clusters/east-cluster Service istioinaction/catalog', 'verify-no-endpoints clusters/west-cluster Service istioinaction/webapp'],
  multicluster: [
    'verify-no-endpoints clusters/cloud-a Service shop/storefront',
    'verify-gateway-no-address clusters/cloud-b Service istio-system/istio-ingressgateway',
    'verify-no-endpoints clusters/cloud-b Service shop/api',
    'verify-gateway-no-address clusters/cloud-c Service istio-system/istio-ingressgateway',
    'verify-no-endpoints clusters/cloud-c Service shop/payments',
  ],
  onprem: ['verify-gateway-pods clusters/idc Node worker-1', 'verify-gateway-pods clusters/idc Node worker-2', 'verify-no-endpoints clusters/idc Service example-stg/echo'],
};

const examples = readdirSync(join(root, 'examples')).sort();

describe('sitec verify over dumps from a real API server', () => {
  it('has a dump of every cluster of every example, and an expectation for each', () => {
    expect(
      readdirSync(fixtures)
        .filter((f) => f !== 'README.md')
        .sort(),
    ).toEqual(examples);
    expect(Object.keys(EXPECTED).sort()).toEqual(examples);
    for (const e of examples) expect(readdirSync(join(fixtures, e, 'clusters')).sort()).toEqual(readdirSync(join(root, 'out', e, 'clusters')).sort());
  });

  it.each(examples)('%s: no drift; exactly the findings of a control plane without nodes and pods', (example) => {
    const v = verify({ site: join(root, 'examples', example, 'site.yaml'), observed: join(fixtures, example) });
    expect(v.ok).toBe(true);
    expect(v.judged.length).toBeGreaterThan(0);
    expect(v.judged.every((j) => j.startsWith('clusters/'))).toBe(true);
    expect(v.notJudged.every((j) => j.startsWith('hosts/'))).toBe(true);
    const drift = v.findings.filter((f) => ['verify-field-drift', 'verify-object-missing', 'verify-object-stale', 'verify-nodeport-mismatch', 'verify-gateway-address'].includes(f.code));
    expect(drift).toEqual([]);
    expect(v.findings.map((f) => `${f.code} ${f.where} ${f.subject}`)).toEqual(EXPECTED[example]);
  });

  it('the same real dump, hand-edited, is drift: a pool address changed and the gateway address from no pool', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-cp-verify-'));
    try {
      cpSync(join(fixtures, 'dualstack'), dir, { recursive: true });
      for (const [file, from, to] of [
        ['ipaddresspool.metallb.io.yaml', '- 10.30.0.200-10.30.0.220', '- 10.30.0.200-10.30.0.230'],
        ['service.yaml', '- ip: 10.30.0.200', '- ip: 10.99.0.1'],
      ] as const) {
        const path = join(dir, 'clusters', 'dc', file);
        const text = readFileSync(path, 'utf8');
        expect(text).toContain(from);
        writeFileSync(path, text.replace(from, to));
      }
      const v = verify({ site: join(root, 'examples', 'dualstack', 'site.yaml'), observed: dir });
      expect(
        v.findings
          .filter((f) => !EXPECTED.dualstack!.includes(`${f.code} ${f.where} ${f.subject}`))
          .map((f) => `${f.code} ${f.subject} ${f.observed}`)
          .sort(),
      ).toEqual(['verify-field-drift IPAddressPool metallb-system/dual-pool 10.30.0.200-10.30.0.230', 'verify-gateway-address Service istio-system/istio-ingressgateway 10.99.0.1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
