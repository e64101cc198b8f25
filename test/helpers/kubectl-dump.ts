import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FilePlan } from '../../src/plan/plan.js';
import { RUNTIME_RESOURCES, SITEC_RESOURCES, resourceName } from '../../src/plan/collect.js';
import type { ClusterModel } from '../../src/resolve/model.js';

/**
 * A cluster dump shaped like real `kubectl get <kind> -A -o yaml` output (see
 * test/fixtures/verify/README.md for the public dumps this follows): a
 * `kind: List` wrapper, and each object as the API server returns it: uid,
 * resourceVersion, creationTimestamp, generation, managedFields, the
 * last-applied-configuration annotation kubectl apply writes, server defaults
 * (a Service's clusterIP, ipFamilies, sessionAffinity, internalTrafficPolicy,
 * port protocols; a Deployment's strategy and pod defaults) and status blocks.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kubectl dumps are untyped JSON, edited freely by the tests
type Obj = Record<string, any>;

let serial = 0;
const uid = () => `5b0e8f7c-${(++serial).toString(16).padStart(4, '0')}-4c1d-9a53-0242ac120002`;
const stamp = '2026-11-02T09:14:27Z';

function fieldsOf(value: unknown): Obj {
  if (value === null || typeof value !== 'object') return {};
  if (Array.isArray(value)) {
    const out: Obj = {};
    for (const item of value) if (item && typeof item === 'object' && 'name' in item) out[`k:{"name":"${(item as Obj).name}"}`] = { '.': {}, ...fieldsOf(item) };
    return out;
  }
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) out[`f:${k}`] = fieldsOf(v);
  return out;
}

/** What the API server makes of an object kubectl apply sent. */
export function served(object: Obj, extra: { status?: Obj } = {}): Obj {
  const applied = JSON.stringify(object);
  const o: Obj = structuredClone(object);
  o.metadata = {
    ...o.metadata,
    annotations: { ...(o.metadata.annotations ?? {}), 'kubectl.kubernetes.io/last-applied-configuration': `${applied}\n` },
    creationTimestamp: stamp,
    generation: 1,
    managedFields: [
      {
        apiVersion: o.apiVersion,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} }, ...fieldsOf({ labels: o.metadata.labels }) },
          ...fieldsOf({ spec: o.spec }),
        },
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        time: stamp,
      },
    ],
    resourceVersion: String(100000 + serial * 7),
    uid: uid(),
  };
  if (o.kind === 'Namespace') {
    o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
    o.spec = { finalizers: ['kubernetes'] };
    o.status = { phase: 'Active' };
    delete o.metadata.generation;
  }
  if (o.kind === 'Service') {
    o.spec = {
      clusterIP: '10.96.41.7',
      clusterIPs: ['10.96.41.7'],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'None',
      type: 'ClusterIP',
      ...o.spec,
      ports: (o.spec.ports ?? []).map((p: Obj) => ({ protocol: 'TCP', targetPort: p.port, ...p })),
    };
    o.status = { loadBalancer: {} };
    delete o.metadata.generation;
  }
  if (o.kind === 'Deployment') {
    o.spec.progressDeadlineSeconds = 600;
    o.spec.revisionHistoryLimit = 10;
    o.spec.strategy = { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' };
    o.spec.template.metadata.creationTimestamp = null;
    const pod = o.spec.template.spec;
    Object.assign(pod, { dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', schedulerName: 'default-scheduler', securityContext: {}, terminationGracePeriodSeconds: 30 });
    for (const c of pod.containers) {
      Object.assign(c, { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
      for (const p of c.ports ?? []) p.protocol ??= 'TCP';
      // The API server keeps quantities as given unless they are not canonical: 1000m comes back as 1.
    }
    o.status = {
      availableReplicas: 1,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', lastTransitionTime: stamp, lastUpdateTime: stamp, message: 'Deployment has minimum availability.' }],
      observedGeneration: 1,
      readyReplicas: 1,
      replicas: 1,
      updatedReplicas: 1,
    };
  }
  if (extra.status) o.status = extra.status;
  return o;
}

/** The gateway objects Istio's installer made (not sitec's): Service, HPA, pods; and the nodes and EndpointSlices. */
export function runtimeObjects(cluster: ClusterModel): Obj[] {
  const ing = cluster.istio.ingress;
  const ip = ing.loadBalancerIP ?? cluster.metallb?.pools[0]?.addresses[0]?.split('-')[0] ?? '10.0.0.1';
  const managed = (manager: string, fields: Obj) => ({ apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: fields, manager, operation: 'Update', time: stamp });
  const service: Obj = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      labels: { app: 'istio-ingressgateway', istio: 'ingressgateway', 'operator.istio.io/component': 'IngressGateways' },
      name: ing.name,
      namespace: 'istio-system',
      uid: uid(),
      resourceVersion: '4411',
      creationTimestamp: stamp,
      managedFields: [managed('istio-operator', { 'f:spec': { 'f:ports': {} } }), managed('metallb-controller', { 'f:status': { 'f:loadBalancer': { 'f:ingress': {} } } })],
    },
    spec: {
      allocateLoadBalancerNodePorts: true,
      clusterIP: '10.96.120.33',
      clusterIPs: ['10.96.120.33'],
      externalTrafficPolicy: ing.externalTrafficPolicy ?? 'Cluster',
      ...(ing.externalTrafficPolicy === 'Local' ? { healthCheckNodePort: 31764 } : {}),
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ...(ing.loadBalancerIP ? { loadBalancerIP: ing.loadBalancerIP } : {}),
      ports: ing.ports.map((p, i) => ({ name: p.name, nodePort: p.nodePort ?? 31000 + i, port: p.port, protocol: p.protocol, targetPort: p.targetPort })),
      selector: ing.selector,
      sessionAffinity: 'None',
      type: ing.serviceType,
    },
    status: { loadBalancer: ing.serviceType === 'LoadBalancer' ? { ingress: [{ ip, ipMode: 'VIP' }] } : {} },
  };
  const hpa: Obj = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: ing.name, namespace: 'istio-system', uid: uid(), resourceVersion: '4420', creationTimestamp: stamp },
    spec: {
      maxReplicas: ing.hpa.maxReplicas,
      minReplicas: ing.hpa.minReplicas,
      metrics: [{ resource: { name: 'cpu', target: { averageUtilization: ing.hpa.cpuTargetPercent, type: 'Utilization' } }, type: 'Resource' }],
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: ing.name },
    },
    status: { currentReplicas: ing.hpa.minReplicas, desiredReplicas: ing.hpa.minReplicas },
  };
  const workers = ing.edgeNodes ?? cluster.nodes.filter((n) => n.role === 'worker').map((n) => n.name);
  const pods: Obj[] = workers.map((node, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      labels: { ...ing.selector, app: 'istio-ingressgateway' },
      name: `${ing.name}-7d9c5b7f4d-${'abcdefgh'[i]}x2lq`,
      namespace: 'istio-system',
      uid: uid(),
      resourceVersion: String(5000 + i),
      creationTimestamp: stamp,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${ing.name}-7d9c5b7f4d`, controller: true, blockOwnerDeletion: true, uid: uid() }],
    },
    spec: { containers: [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.30.3' }], nodeName: node },
    status: { phase: 'Running', podIP: `192.168.${i + 1}.17`, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: stamp }] },
  }));
  const nodes: Obj[] = cluster.nodes.map((n) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, uid: uid(), resourceVersion: '812', labels: { 'kubernetes.io/hostname': n.name } },
    status: { addresses: [{ address: n.ip, type: 'InternalIP' }] },
  }));
  const seen = new Set<string>();
  const slices: Obj[] = [];
  for (const r of cluster.routes) {
    const key = `${r.namespace}/${r.destination.service}`;
    if (seen.has(key)) continue;
    seen.add(key);
    slices.push({
      addressType: 'IPv4',
      apiVersion: 'discovery.k8s.io/v1',
      endpoints: [
        {
          addresses: ['192.168.2.40'],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: workers[0],
          targetRef: { kind: 'Pod', name: `${r.destination.service}-6f7d8b-q9k2m`, namespace: r.namespace, uid: uid() },
        },
      ],
      kind: 'EndpointSlice',
      metadata: {
        generateName: `${r.destination.service}-`,
        labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': r.destination.service },
        name: `${r.destination.service}-x7k2p`,
        namespace: r.namespace,
        uid: uid(),
        resourceVersion: '9001',
      },
      ports: [{ name: 'http', port: r.destination.port, protocol: 'TCP' }],
    });
  }
  return [service, hpa, ...pods, ...nodes, ...slices];
}

/** The planned objects of a cluster as served, plus the runtime objects, grouped the way the collector files them. */
export function clusterDump(planned: FilePlan[], cluster: ClusterModel): Map<string, Obj[]> {
  const byResource = new Map<string, Obj[]>();
  for (const r of [...SITEC_RESOURCES, ...RUNTIME_RESOURCES]) byResource.set(r, []);
  const add = (o: Obj) => {
    const r = resourceName(o.apiVersion, o.kind);
    byResource.set(r, [...(byResource.get(r) ?? []), o]);
  };
  for (const f of planned) {
    if (f.format !== 'yaml') continue;
    if (!(f.path.startsWith(`clusters/${cluster.name}/resources/`) || f.path === `clusters/${cluster.name}/istio-system-namespace.yaml`)) continue;
    add(served(f.object as Obj));
  }
  for (const o of runtimeObjects(cluster)) add(o);
  return byResource;
}

/** Writes a dump as the collector does: DIR/clusters/<cluster>/<resource>.yaml, each a List. */
export function writeClusterDump(dir: string, cluster: string, dump: Map<string, Obj[]>): void {
  const base = join(dir, 'clusters', cluster);
  mkdirSync(base, { recursive: true });
  for (const [resource, items] of dump)
    writeFileSync(join(base, `${resource}.yaml`), stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, { lineWidth: 0, indentSeq: false }));
  writeFileSync(join(base, 'errors.txt'), '');
}
