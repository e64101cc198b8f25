import type { Diagnostic, PathSegment } from '../../diagnostics.js';
import type { SiteSource } from '../../load/load.js';
import type { Site } from '../../model/site.js';
import { CheckContext } from '../context.js';
import { checkAddresses } from './addresses.js';
import { checkEdges } from './edges.js';
import { checkEdgeGateway } from './edge-gateway.js';
import { checkDiscoverySelectors, checkMesh } from './mesh.js';
import { checkKind } from './kind.js';
import { checkKubernetesVersions } from './kubernetes-version.js';
import { checkPlatform } from './platform.js';
import { checkExtensions } from './extensions.js';
import { checkIngress } from './ingress.js';
import { checkNames } from './names.js';
import { checkNodePorts } from './nodeports.js';
import { checkRoutes } from './routes.js';
import { checkGatewayApiVersions } from './versions.js';
import { checkFileNames } from './file-names.js';
import { checkInstall } from './install.js';
import { checkAmbient } from './ambient.js';

/** The cross-field invariants, run on a schema-valid site with defaults filled. */
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
