/**
 * Round trip: build each example, turn the output into the dumps the estate
 * would show (test/helpers/estate-dumps.ts: cluster objects as kubectl prints
 * them, firewall dumps made with the real tools in a network namespace, nginx
 * -T), import them, build the imported site, and compare the two builds'
 * Kubernetes objects (parsed) and host files (rules and directives, comments
 * left out).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { compile } from '../src/index.js';
import { readObserved } from '../src/import/dumps.js';
import { importEstate } from '../src/import/import.js';
import { verify } from '../src/verify.js';
import type { OutputFile } from '../src/render/render.js';
import { writeEstateDumps } from './helpers/estate-dumps.js';
import { NETNS_REQUIRED, netnsAvailable } from './helpers/netns.js';
import { root } from './helpers/site.js';

const netns = netnsAvailable();
const tmp = mkdtempSync(join(tmpdir(), 'sitec-import-rt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every example: the round trip holds for each. */
const EXAMPLES = (process.env.RT ?? 'onprem,gateway-api,dualstack,csp,combined,multicluster,kind,ambient').split(',');

/**
 * What each example's import reports: exactly the values no dump shows (the
 * mesh's CA tool, key directory and intermediates' validity live on the admin's
 * machine, the root certificate shows the rest; who labels the nodes' region;
 * kind's docker network; a load balancer made in a cloud console in front of
 * a NodePort gateway). The placeholders written for them change no Kubernetes
 * object and no host file: the comparison below holds with them.
 */
const REPORTED: Record<string, string[]> = {
  onprem: [],
  'gateway-api': [],
  dualstack: [],
  csp: ['missing clusters/nks istio.ingressGateway.consoleLoadBalancer'],
  combined: ['missing site mesh.ca'],
  multicluster: ['missing clusters/cloud-a locality.labelledBy', 'missing clusters/cloud-b locality.labelledBy', 'missing clusters/cloud-c locality.labelledBy', 'missing site mesh.ca'],
  kind: [
    'missing clusters/east-cluster istio.ingressGateway.consoleLoadBalancer',
    'missing clusters/east-cluster kind.network',
    'missing clusters/east-cluster locality.labelledBy',
    'missing clusters/west-cluster istio.ingressGateway.consoleLoadBalancer',
    'missing clusters/west-cluster kind.network',
    'missing clusters/west-cluster locality.labelledBy',
    'missing site mesh.ca',
  ],
  ambient: [],
};

/** A file's comparable form: YAML as parsed documents, everything else as its lines without comments and blank lines. */
function comparable(f: OutputFile): unknown {
  if (f.path.endsWith('.yaml')) return parseAllDocuments(f.content).map((d) => d.toJS());
  return f.content
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The files a round trip compares: every file of the clusters and hosts (scripts, rules, nginx, objects) but the runbooks. */
const compared = (files: readonly OutputFile[]) => new Map(files.filter((f) => /^(clusters|hosts)\//.test(f.path) && !f.path.endsWith('README.md')).map((f) => [f.path, comparable(f)]));

function roundTrip(name: string) {
  const text = readFileSync(join(root, 'examples', name, 'site.yaml'), 'utf8');
  const first = compile(text, { file: `examples/${name}/site.yaml`, baseDir: join(root, 'examples', name) });
  expect(first.ok).toBe(true);
  const dir = join(tmp, name);
  const { skippedFirewall } = writeEstateDumps(first.site!, first.files, dir, { realFirewall: true }, first.model!);
  const imported = importEstate(readObserved(dir, `observed-${name}`));
  const second = compile(imported.text, { file: 'imported/site.yaml' });
  return { first, second, imported, skippedFirewall, dir };
}

it('covers every example', () => {
  expect(Object.keys(REPORTED).sort()).toEqual(readdirSync(join(root, 'examples')).sort());
});

describe.each(EXAMPLES)('import round trip of examples/%s', (name) => {
  it.skipIf(!netns.ok && !NETNS_REQUIRED)('imports to a site whose build has the same Kubernetes objects and host files', () => {
    const { first, second, imported, skippedFirewall, dir } = roundTrip(name);
    expect(skippedFirewall).toEqual([]);
    expect(second.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const a = compared(first.files);
    const b = compared(second.files);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [path, v] of a) expect(b.get(path), path).toEqual(v);
    // Nothing the estate holds is left unexplained, no conflict is found in an estate sitec built, and what is reported is exactly what no dump shows.
    expect(imported.report.items.map((i) => `${i.kind} ${i.where} ${i.subject}`)).toEqual(REPORTED[name]);

    // The mesh's CA plan, as far as the root certificate istiod publishes shows it.
    const ca = first.site!.mesh?.ca;
    if (ca)
      expect((imported.site.mesh as { ca: unknown }).ca).toMatchObject({
        tool: ca.tool,
        rootCommonName: ca.rootCommonName,
        keyType: ca.keyType,
        rootValidityDays: ca.rootValidityDays,
        ...(ca.tool === 'openssl' ? { organization: ca.organization } : {}),
      });

    // verify of the imported site against the same dumps finds nothing.
    const siteFile = join(tmp, `${name}.imported.yaml`);
    writeFileSync(siteFile, imported.text);
    const v = verify({ site: siteFile, observed: dir });
    expect(v.diagnostics).toEqual([]);
    expect(v.findings.map((f) => `${f.code} ${f.subject}: ${f.message}`)).toEqual([]);
  });
});
