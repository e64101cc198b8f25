import { API } from '../model/apis.js';
import type { ClusterModel, MeshModel } from '../resolve/model.js';
import type { K8sObject } from './types.js';

export interface IstioOperator extends K8sObject {
  spec: Record<string, unknown>;
}

/**
 * The IstioOperator for `istioctl install -f`. istioctl decodes it strictly
 * (unknown fields fail the install), so only fields of its Go types appear.
 */
export function istioOperator(cluster: ClusterModel, mesh?: MeshModel): IstioOperator {
  const { istio } = cluster;
  const ingress = istio.ingress;
  const combined = cluster.mesh?.eastWest?.combined === true;
  const k8s = ingressGatewayK8s(cluster, combined);
  const gatewayValues = ingressGatewayValues(ingress);
  return {
    apiVersion: API.istioOperator,
    kind: 'IstioOperator',
    metadata: { name: cluster.name, namespace: 'istio-system' },
    spec: {
      // istioctl's ambient profile: the default profile plus the cni and ztunnel components and values.profile ambient.
      // It turns the ingress gateway off; the ingressGateways list below replaces its list (istioctl merges maps, not lists).
      profile: istio.dataplane === 'ambient' ? 'ambient' : istio.profile,
      ...(istio.revision ? { revision: istio.revision } : {}),
      ...meshConfigOf(cluster),
      components: {
        ...(istio.pilot ? { pilot: { k8s: pilotK8s(istio.pilot) } } : {}),
        egressGateways: [{ name: 'istio-egressgateway', enabled: istio.egressGateway }],
        ingressGateways: [{ name: ingress.name, enabled: true, label: { ...ingress.selector, ...(combined ? { 'topology.istio.io/network': cluster.mesh!.network } : {}) }, k8s }],
      },
      values: {
        ...(globalValues(cluster, mesh) ? { global: globalValues(cluster, mesh) } : {}),
        gateways: { 'istio-ingressgateway': gatewayValues },
      },
    },
  };
}

type Ingress = ClusterModel['istio']['ingress'];

/** The ingress gateway's Service: its type and traffic policy, both families on a dual-stack cluster, the pinned ports. */
function ingressGatewayService(cluster: ClusterModel, combined: boolean): Record<string, unknown> {
  const ingress = cluster.istio.ingress;
  const service: Record<string, unknown> = { type: ingress.serviceType };
  if (ingress.externalTrafficPolicy) service.externalTrafficPolicy = ingress.externalTrafficPolicy;
  // On a dual-stack cluster the gateway Service takes both families, so its node ports answer on the nodes' IPv6 addresses too.
  if (cluster.serviceCIDRs.length === 2) {
    service.ipFamilyPolicy = 'RequireDualStack';
    service.ipFamilies = cluster.serviceCIDRs.map((c) => (c.includes(':') ? 'IPv6' : 'IPv4'));
  }
  service.ports = ingress.ports.map((p) => ({
    name: p.name,
    protocol: p.protocol,
    port: p.port,
    targetPort: p.targetPort,
    ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
  }));
  // A combined gateway also carries the east-west listeners (seed 002's one address per cluster).
  if (combined) {
    for (const p of cluster.mesh!.eastWest!.ports)
      (service.ports as object[]).push({ name: p.name, protocol: 'TCP', port: p.port, targetPort: p.port, ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) });
  }
  return service;
}

/** components.ingressGateways[0].k8s: autoscaling, the Service, and where and how the gateway pods run. */
function ingressGatewayK8s(cluster: ClusterModel, combined: boolean): Record<string, unknown> {
  const ingress = cluster.istio.ingress;
  const k8s: Record<string, unknown> = {
    hpaSpec: {
      minReplicas: ingress.hpa.minReplicas,
      maxReplicas: ingress.hpa.maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: ingress.hpa.cpuTargetPercent } } }],
    },
    service: ingressGatewayService(cluster, combined),
  };
  // What gen-eastwest-gateway.sh gives an east-west gateway: traffic through it stays inside its network
  // (istiod shows a proxy only the endpoints of its requested networks). Ingress routes target this cluster's own Services, so they keep their endpoints.
  if (combined) k8s.env = [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: cluster.mesh!.network }];
  if (Object.keys(ingress.serviceAnnotations).length > 0) k8s.serviceAnnotations = { ...ingress.serviceAnnotations };
  if (ingress.trustedProxies > 0) {
    // Per gateway, not mesh-wide: the east-west gateway and sidecars keep trusting nobody.
    k8s.podAnnotations = { 'proxy.istio.io/config': JSON.stringify({ gatewayTopology: { numTrustedProxies: ingress.trustedProxies } }) };
  }
  if (ingress.edgeNodes) Object.assign(k8s, onEdgeNodes(ingress.edgeNodes, ingress.selector));
  return k8s;
}

/** values.gateways.istio-ingressgateway: the chart's values for the same gateway. */
function ingressGatewayValues(ingress: Ingress): Record<string, unknown> {
  const gatewayValues: Record<string, unknown> = {
    // hpaSpec patches the HPA only while autoscaling is on; the chart's own
    // min/max are set to the same numbers so both paths agree.
    autoscaleEnabled: true,
    autoscaleMin: ingress.hpa.minReplicas,
    autoscaleMax: ingress.hpa.maxReplicas,
    cpu: { targetAverageUtilization: ingress.hpa.cpuTargetPercent },
  };
  if (ingress.runAsRoot) gatewayValues.runAsRoot = true;
  return gatewayValues;
}

/**
 * The east-west gateway, in the form Istio's samples/multicluster/gen-eastwest-gateway.sh
 * prints for Istio 1.24 and later (profile empty, requested network view, ports
 * 15021/15443/15012/15017, injection template "gateway"), plus the pinned address.
 */
export function eastWestOperator(cluster: ClusterModel): IstioOperator {
  const mesh = cluster.mesh!;
  const ew = mesh.eastWest!;
  const k8s: Record<string, unknown> = {
    env: [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: mesh.network }],
    service: {
      ...(ew.serviceType !== 'LoadBalancer' ? { type: ew.serviceType } : {}),
      ports: ew.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) })),
    },
  };
  if (Object.keys(ew.serviceAnnotations).length > 0) k8s.serviceAnnotations = { ...ew.serviceAnnotations };
  return {
    apiVersion: API.istioOperator,
    kind: 'IstioOperator',
    metadata: { name: 'eastwest', namespace: 'istio-system' },
    spec: {
      revision: cluster.istio.revision ?? '',
      profile: 'empty',
      components: {
        ingressGateways: [
          {
            name: ew.name,
            label: { istio: 'eastwestgateway', app: 'istio-eastwestgateway', 'topology.istio.io/network': mesh.network },
            enabled: true,
            k8s,
          },
        ],
      },
      values: {
        gateways: { 'istio-ingressgateway': { injectionTemplate: 'gateway' } },
        global: { network: mesh.network },
      },
    },
  };
}

/** values.global: the mesh identity, and kind's privileged proxies. */
function globalValues(cluster: ClusterModel, mesh: MeshModel | undefined): Record<string, unknown> | undefined {
  const global: Record<string, unknown> = {};
  if (cluster.mesh && mesh) Object.assign(global, { meshID: mesh.id, multiCluster: { clusterName: cluster.name }, network: cluster.mesh.network });
  if (cluster.kind?.privilegedProxy) global.proxy = { privileged: true };
  return Object.keys(global).length > 0 ? global : undefined;
}

function pilotK8s(p: NonNullable<ClusterModel['istio']['pilot']>): Record<string, unknown> {
  return {
    ...(p.replicas !== undefined ? { replicaCount: p.replicas } : {}),
    ...(p.resources ? { resources: p.resources } : {}),
    ...(p.env.length > 0 ? { env: p.env } : {}),
  };
}

/**
 * With externalTrafficPolicy Local a node without a gateway pod drops the
 * node-port traffic the edge hosts send it. The gateway runs only on those nodes
 * (kubernetes.io/hostname is the node name), spread with a skew of at most one,
 * so with at least as many replicas as nodes (an invariant) every one holds a pod.
 * IstioOperator has no field for topology spread: an overlay patches the Deployment.
 */
function onEdgeNodes(nodes: readonly string[], selector: Readonly<Record<string, string>>): Record<string, unknown> {
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [...nodes] }] }],
        },
      },
    },
    overlays: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'istio-ingressgateway',
        patches: [
          {
            path: 'spec.template.spec.topologySpreadConstraints',
            value: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { ...selector } } }],
          },
        ],
      },
    ],
  };
}

/** meshConfig: discovery selectors, and on a dual-stack cluster the proxies' dual-stack switch (Istio's dual-stack install). */
function meshConfigOf(cluster: ClusterModel): { meshConfig?: Record<string, unknown> } {
  const meshConfig: Record<string, unknown> = {};
  if (cluster.istio.discoverySelectors) meshConfig.discoverySelectors = cluster.istio.discoverySelectors;
  if (cluster.serviceCIDRs.length === 2) meshConfig.defaultConfig = { proxyMetadata: { ISTIO_DUAL_STACK: 'true' } };
  return Object.keys(meshConfig).length > 0 ? { meshConfig } : {};
}
