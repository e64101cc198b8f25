import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The gateway Services Istio's installers would make from sitec's files, for the control-plane
 * tests: istioctl (istio.io/istio) cannot be built here (docs/control-plane.md), so the test
 * builds each Service from exactly what sitec's IstioOperator or Helm values say about it, the
 * way the installers map those fields (cited in docs/control-plane.md):
 *
 * - IstioOperator `spec.components.ingressGateways[]` (enabled): the Service is named after the
 *   gateway, in its `namespace` (istio-system), labelled and selecting by its `label`, with
 *   `k8s.service` as its spec (type LoadBalancer when unset, the gateway charts' default) and
 *   `k8s.serviceAnnotations` as its annotations.
 * - The istio/gateway chart's values (templates/service.yaml, _helpers.tpl): `name` (else the
 *   release), selecting `app` and `istio` (from `labels`, else the name and the name less
 *   `istio-`), labelled with those and the other `labels`, and `service` as its spec (`type`
 *   LoadBalancer when unset, `ports`, `externalTrafficPolicy`, `loadBalancerIP`, `ipFamilyPolicy`,
 *   `ipFamilies`), `service.annotations` as its annotations.
 *
 * Nothing else of the installers is stood in for: no Deployment, pods, HPA or istiod.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- installer inputs are untyped YAML
type Obj = Record<string, any>;

function service(name: string, namespace: string, labels: Obj, annotations: Obj | undefined, spec: Obj, selector: Obj = labels): Obj {
  if (!Array.isArray(spec.ports) || spec.ports.length === 0) throw new Error(`gateway ${name}: no service ports in sitec's file`);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels, ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: { type: 'LoadBalancer', ...spec, selector },
  };
}

/** The gateway Services of an IstioOperator file (out/<example>/clusters/<c>/istio-*operator.yaml). */
export function servicesFromOperator(outDir: string, file: string): Obj[] {
  const op = parse(readFileSync(join(outDir, file), 'utf8')) as Obj;
  const gateways = (op.spec?.components?.ingressGateways ?? []) as Obj[];
  return gateways.filter((g) => g.enabled !== false).map((g) => service(g.name, g.namespace ?? 'istio-system', g.label ?? {}, g.k8s?.serviceAnnotations, g.k8s?.service ?? {}));
}

/** The gateway Service of the istio/gateway chart's values file, installed as `release`. */
export function serviceFromHelmValues(outDir: string, file: string, release: string): Obj {
  const v = parse(readFileSync(join(outDir, file), 'utf8')) as Obj;
  const { annotations, ...spec } = (v.service ?? {}) as Obj;
  const name = (v.name as string | undefined) ?? release;
  const labels = (v.labels ?? {}) as Obj;
  const selector = { app: labels.app ?? name, istio: labels.istio ?? name.replace(/^istio-/, '') };
  return service(name, 'istio-system', { ...labels, ...selector }, annotations, spec, selector);
}
