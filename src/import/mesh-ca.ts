/**
 * The mesh's root of trust as the clusters show it: istiod publishes the root
 * certificate of its plugged-in CA (the cacerts Secret) as the ConfigMap
 * istio-ca-root-cert, key root-cert.pem, in every namespace (Istio: "Plug in CA
 * certificates", https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/).
 * The certificate gives the CA plan's root common name, organization, key type and
 * validity; the tool that made it, the directory its key is in and the
 * intermediates' validity are on the admin's machine, in no dump.
 */
import { X509Certificate } from 'node:crypto';
import type { Sourced } from './ingress.js';
import { item, type ReportItem } from './report.js';

export interface RootFacts {
  rootCommonName: string;
  organization?: string;
  keyType?: 'rsa-4096' | 'rsa-2048' | 'ec-p256';
  rootValidityDays: number;
  /** The certificate's fingerprint: clusters with different roots do not trust each other. */
  fingerprint: string;
}

/** Reads a root certificate (PEM); undefined when it is not one sitec can read. */
export function readRoot(pem: string): RootFacts | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return undefined;
  }
  const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(cert.subject)?.[1];
  const cn = field('CN');
  if (!cn) return undefined;
  const details = cert.publicKey.asymmetricKeyDetails;
  const type = cert.publicKey.asymmetricKeyType;
  const keyType =
    type === 'rsa' && details?.modulusLength === 4096
      ? 'rsa-4096'
      : type === 'rsa' && details?.modulusLength === 2048
        ? 'rsa-2048'
        : type === 'ec' && details?.namedCurve === 'prime256v1'
          ? 'ec-p256'
          : undefined;
  const days = Math.round((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000);
  const o = field('O');
  return { rootCommonName: cn, ...(o ? { organization: o } : {}), ...(keyType ? { keyType } : {}), rootValidityDays: days, fingerprint: cert.fingerprint256 };
}

/** The site's mesh.ca from the clusters' roots: what the first shows, placeholders for the rest, a conflict when the roots differ. */
export function importCa(roots: readonly Sourced<string>[], meshId: string, items: ReportItem[]): { ca: Record<string, unknown>; note: string } {
  const read = roots.map((r) => ({ r, facts: readRoot(r.object) })).filter((x): x is { r: Sourced<string>; facts: RootFacts } => x.facts !== undefined);
  const first = read[0];
  const keyDir = `/root/${meshId}-ca`;
  const rest = "tool, keyDir and intermediateValidityDays are on the admin's machine, in no dump: placeholders";
  if (!first) {
    items.push(item('missing', 'site', 'mesh.ca', `no dump shows how the mesh's certificates were made (no istio-ca-root-cert): a placeholder is written`, [], { field: 'mesh.ca' }));
    return { ca: { rootCommonName: `root.${meshId}.example.com`, keyDir }, note: 'placeholder: no root certificate in the dumps' };
  }
  const other = read.find((x) => x.facts.fingerprint !== first.facts.fingerprint);
  if (other)
    items.push(
      item(
        'conflict',
        'site',
        'mesh root certificate',
        `clusters trust different roots (${first.facts.rootCommonName} and ${other.facts.rootCommonName}): they are not one mesh until they share one`,
        [first.r.source, other.r.source],
        {
          chosen: `${first.facts.rootCommonName}, the first cluster's`,
          field: 'mesh.ca',
        },
      ),
    );
  items.push(item('missing', 'site', 'mesh.ca', `the root certificate gives the common name, organization, key type and validity; ${rest} are written`, [first.r.source], { field: 'mesh.ca' }));
  const { fingerprint: _f, ...facts } = first.facts;
  const tool = facts.organization ? 'openssl' : 'step';
  return { ca: { tool, ...facts, keyDir }, note: `${first.r.source.file} (${first.r.source.object}: root-cert.pem); ${rest}` };
}
