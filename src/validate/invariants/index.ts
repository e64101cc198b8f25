import type { Diagnostic, PathSegment } from '../../diagnostics.js';
import type { SiteSource } from '../../source/locate.js';
import type { Site } from '../../model/site.js';
import { CheckContext } from '../../source/report.js';
import { checkAddresses } from './addresses.js';
import { checkEdgeGateway, checkEdges } from './edge.js';
import { checkDiscoverySelectors, checkMesh } from './mesh.js';
import { checkKind } from './kind.js';
import { checkPlatform } from './platform.js';
import { checkExtensions } from './extensions.js';
import { checkIngress } from './ingress.js';
import { checkNames } from './names.js';
import { checkNodePorts } from './ports.js';
import { checkRoutes } from './routes.js';
import { checkGatewayApiVersions, checkKubernetesVersions } from './versions.js';
import { checkFileNames } from './file-names.js';
import { checkInstall } from './install.js';
import { checkAmbient } from './ambient.js';

/**
 * The cross-field invariants, run on a schema-valid site with defaults filled.
 * One file per family of rules (addresses, ports, routes, edge, mesh, versions,
 * and the smaller ones: names, file names, ingress, kind, platform, extensions,
 * install); each rule is a small named function that says which codes it reports.
 */
export const invariantChecks = [
  checkNames,
  checkNodePorts,
  checkAddresses,
  checkIngress,
  checkRoutes,
  checkFileNames,
  checkEdges,
  checkEdgeGateway,
  checkMesh,
  checkDiscoverySelectors,
  checkKind,
  checkKubernetesVersions,
  checkGatewayApiVersions,
  checkPlatform,
  checkExtensions,
  checkInstall,
  checkAmbient,
];

export function checkInvariants(site: Site, source: SiteSource, toOriginal?: (path: readonly PathSegment[]) => PathSegment[]): Diagnostic[] {
  const ctx = new CheckContext(source, toOriginal);
  for (const check of invariantChecks) check(site, ctx);
  return ctx.diagnostics;
}
