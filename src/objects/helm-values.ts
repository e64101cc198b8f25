import type { ClusterModel, MeshModel } from '../resolve/model.js';
import { istioOperator } from './istio-operator.js';

/**
 * One Helm release of Istio's charts (base, istiod, gateway) and the values file
 * sitec writes for it. The values say the same as the IstioOperator files
 * (test/helm.test.ts renders the real charts and compares the gateway objects
 * field by field), so a site can move between istioctl and helm without a change
 * in what runs. Release names are the objects' names: the gateway chart names its
 * Deployment, Service and HPA after the release.
 */
export interface HelmRelease {
  /** Release name, also the values file's name (helm/<release>.values.yaml). */
  release: string;
  /** The chart in Istio's Helm repository (https://istio-release.storage.googleapis.com/charts). */
  chart: 'base' | 'istiod' | 'cni' | 'ztunnel' | 'gateway';
  values: Record<string, unknown>;
  /** What the release is, for the runbook. */
  why: string;
}

/**
 * The releases of a cluster in install order: base (CRDs, validation) before
 * istiod, istiod before the gateways it injects. An ambient cluster adds the
 * node agents after istiod and before the gateways, the order of Istio's Helm
 * install for ambient (istio.io/latest/docs/ambient/install/helm/): istio-cni,
 * which sets up each node's traffic redirection, then ztunnel, which it hands the traffic to.
 */
export function helmReleases(cluster: ClusterModel, mesh?: MeshModel): HelmRelease[] {
  const { istio } = cluster;
  const releases: HelmRelease[] = [{ release: 'istio-base', chart: 'base', values: baseValues(cluster), why: "Istio's CRDs and the default validating webhook" }];
  // The empty profile installs no control plane (istiod runs elsewhere): neither does the helm path.
  if (istio.profile !== 'empty') releases.push({ release: istiodRelease(cluster), chart: 'istiod', values: istiodValues(cluster, mesh), why: 'the control plane' });
  if (istio.dataplane === 'ambient') {
    releases.push({ release: 'istio-cni', chart: 'cni', values: cniValues(cluster), why: "the CNI node agent (redirects the ambient pods' traffic to ztunnel)" });
    releases.push({ release: 'ztunnel', chart: 'ztunnel', values: ztunnelValues(cluster, mesh), why: 'the ztunnel node proxy (mTLS and L4 policy for ambient pods)' });
  }
  releases.push({ release: 'istio-ingressgateway', chart: 'gateway', values: ingressValues(cluster), why: 'the ingress gateway' });
  if (istio.egressGateway) releases.push({ release: 'istio-egressgateway', chart: 'gateway', values: egressValues(cluster), why: 'the egress gateway' });
  if (cluster.mesh?.eastWest && !cluster.mesh.eastWest.combined)
    releases.push({ release: 'istio-eastwestgateway', chart: 'gateway', values: eastWestValues(cluster), why: "the east-west gateway (this cluster's door for the other networks)" });
  return releases;
}

/** istiod's release is named like its Deployment: istiod, or istiod-<revision>. */
export const istiodRelease = (cluster: ClusterModel): string => (cluster.istio.revision ? `istiod-${cluster.istio.revision}` : 'istiod');

/**
 * The chart's own profile where istioctl's has one (demo, ambient); default and
 * minimal are the charts' defaults. Every chart of an ambient cluster takes
 * profile: ambient (istiod's PILOT_ENABLE_AMBIENT, the CNI's ambient switch),
 * as istioctl's ambient profile sets values.profile for all of its components.
 */
const profileOf = (cluster: ClusterModel): Record<string, unknown> => (cluster.istio.dataplane === 'ambient' ? { profile: 'ambient' } : cluster.istio.profile === 'demo' ? { profile: 'demo' } : {});
const revisionOf = (cluster: ClusterModel): Record<string, unknown> => (cluster.istio.revision ? { revision: cluster.istio.revision } : {});

/** The validating webhook of base points at the cluster's control plane, as istioctl's does. */
function baseValues(cluster: ClusterModel): Record<string, unknown> {
  return { defaultRevision: cluster.istio.revision ?? 'default' };
}

/**
 * istiod: the IstioOperator's values.global (mesh ID, cluster and network names,
 * kind's privileged proxies), meshConfig (discovery selectors, dual stack) and
 * the pilot component's replicas, resources and environment.
 */
function istiodValues(cluster: ClusterModel, mesh?: MeshModel): Record<string, unknown> {
  // Taken from the IstioOperator itself so the two paths cannot drift apart.
  const spec = istioOperator(cluster, mesh).spec as { meshConfig?: Record<string, unknown>; values?: { global?: Record<string, unknown> } };
  const pilot = cluster.istio.pilot;
  return {
    ...profileOf(cluster),
    ...revisionOf(cluster),
    ...(spec.values?.global ? { global: spec.values.global } : {}),
    ...(spec.meshConfig ? { meshConfig: spec.meshConfig } : {}),
    ...(pilot?.replicas !== undefined ? { replicaCount: pilot.replicas } : {}),
    ...(pilot?.resources ? { resources: pilot.resources } : {}),
    // The chart's env is a map (name: value), istioctl's a list.
    ...(pilot && pilot.env.length > 0 ? { env: Object.fromEntries(pilot.env.map((e) => [e.name, e.value])) } : {}),
  };
}

/** istio-cni in ambient mode: the chart's ambient profile (cni.ambient.enabled). kind's and most clusters' CNI paths are the chart's defaults. */
function cniValues(cluster: ClusterModel): Record<string, unknown> {
  return { ...profileOf(cluster) };
}

/** ztunnel: the ambient profile, and in a mesh the cluster and network names it reports (what values.global gives istiod). */
function ztunnelValues(cluster: ClusterModel, mesh?: MeshModel): Record<string, unknown> {
  return {
    ...profileOf(cluster),
    ...(cluster.mesh && mesh ? { multiCluster: { clusterName: cluster.name }, global: { network: cluster.mesh.network } } : {}),
  };
}

interface OperatorGateway {
  label: Record<string, string>;
  k8s: {
    service: { type?: string; externalTrafficPolicy?: string; ipFamilyPolicy?: string; ipFamilies?: string[]; ports: Record<string, unknown>[] };
    serviceAnnotations?: Record<string, string>;
    podAnnotations?: Record<string, string>;
    env?: { name: string; value: string }[];
    hpaSpec?: { minReplicas: number; maxReplicas: number; metrics: { resource: { target: { averageUtilization: number } } }[] };
    affinity?: object;
    overlays?: { patches: { path: string; value: unknown }[] }[];
  };
}

/**
 * The ingress gateway, translated from the IstioOperator's ingress gateway entry:
 * same labels (the selector Gateways use, the network label of a combined
 * gateway), Service type, ports and node ports, traffic policy, families and
 * annotations (the pinned address), HPA, trusted proxies, affinity and spread.
 * runAsRoot has no counterpart: the chart's pods may bind any port (the
 * net.ipv4.ip_unprivileged_port_start sysctl), so a port below 1024 needs no root.
 */
function ingressValues(cluster: ClusterModel): Record<string, unknown> {
  const gw = (istioOperator(cluster).spec.components as { ingressGateways: OperatorGateway[] }).ingressGateways[0]!;
  return gatewayValues(cluster, 'istio-ingressgateway', gw);
}

/** istioctl's egress gateway: a ClusterIP Service on 80 and 443 (its pods listen on 8080 and 8443). */
function egressValues(cluster: ClusterModel): Record<string, unknown> {
  return {
    name: 'istio-egressgateway',
    ...profileOf(cluster),
    ...revisionOf(cluster),
    labels: { istio: 'egressgateway', app: 'istio-egressgateway' },
    service: {
      type: 'ClusterIP',
      ports: [
        { name: 'http2', port: 80, protocol: 'TCP', targetPort: 8080 },
        { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
      ],
    },
  };
}

/**
 * The east-west gateway as its own gateway release. Not the chart's
 * networkGateway switch: its ports have no node ports, and a NodePort east-west
 * gateway needs them pinned. The three things networkGateway sets are written
 * out instead: the network label, ISTIO_META_REQUESTED_NETWORK_VIEW and the four ports.
 */
function eastWestValues(cluster: ClusterModel): Record<string, unknown> {
  const ew = cluster.mesh!.eastWest!;
  const gw: OperatorGateway = {
    label: { istio: 'eastwestgateway', app: 'istio-eastwestgateway', 'topology.istio.io/network': cluster.mesh!.network },
    k8s: {
      env: [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: cluster.mesh!.network }],
      service: { type: ew.serviceType, ports: ew.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) })) },
      ...(Object.keys(ew.serviceAnnotations).length > 0 ? { serviceAnnotations: { ...ew.serviceAnnotations } } : {}),
    },
  };
  return gatewayValues(cluster, 'istio-eastwestgateway', gw);
}

/** An IstioOperator gateway entry in the gateway chart's terms. */
function gatewayValues(cluster: ClusterModel, name: string, gw: OperatorGateway): Record<string, unknown> {
  const { k8s } = gw;
  const s = k8s.service;
  const service: Record<string, unknown> = {
    type: s.type ?? 'LoadBalancer',
    ...(s.externalTrafficPolicy ? { externalTrafficPolicy: s.externalTrafficPolicy } : {}),
    ...(s.ipFamilyPolicy ? { ipFamilyPolicy: s.ipFamilyPolicy, ipFamilies: s.ipFamilies } : {}),
    // The chart writes the list as given: protocol spelled out, istioctl's default.
    ports: s.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort, ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) })),
    ...(k8s.serviceAnnotations ? { annotations: { ...k8s.serviceAnnotations } } : {}),
  };
  const values: Record<string, unknown> = {
    name,
    ...profileOf(cluster),
    ...revisionOf(cluster),
    labels: { ...gw.label },
    service,
  };
  if (k8s.hpaSpec) {
    const h = k8s.hpaSpec;
    values.autoscaling = { enabled: true, minReplicas: h.minReplicas, maxReplicas: h.maxReplicas, targetCPUUtilizationPercentage: h.metrics[0]!.resource.target.averageUtilization };
  }
  if (k8s.env) values.env = Object.fromEntries(k8s.env.map((e) => [e.name, e.value]));
  if (k8s.podAnnotations) values.podAnnotations = { ...k8s.podAnnotations };
  if (k8s.affinity) values.affinity = k8s.affinity;
  // The spread the IstioOperator can say only through an overlay is a plain value here.
  const spread = k8s.overlays?.flatMap((o) => o.patches).find((p) => p.path === 'spec.template.spec.topologySpreadConstraints');
  if (spread) values.topologySpreadConstraints = spread.value;
  return values;
}
