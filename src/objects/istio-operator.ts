import { API } from '../model/apis.js';
import type { ClusterModel } from '../resolve/model.js';
import type { K8sObject } from './types.js';

export interface IstioOperator extends K8sObject {
  spec: Record<string, unknown>;
}

/**
 * The IstioOperator for `istioctl install -f`. istioctl decodes it strictly
 * (unknown fields fail the install), so only fields of its Go types appear.
 */
export function istioOperator(cluster: ClusterModel): IstioOperator {
  const { istio } = cluster;
  const ingress = istio.ingress;
  const service: Record<string, unknown> = { type: ingress.serviceType };
  if (ingress.externalTrafficPolicy) service.externalTrafficPolicy = ingress.externalTrafficPolicy;
  service.ports = ingress.ports.map((p) => ({
    name: p.name,
    protocol: p.protocol,
    port: p.port,
    targetPort: p.targetPort,
    ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
  }));
  const k8s: Record<string, unknown> = {
    hpaSpec: {
      minReplicas: ingress.hpa.minReplicas,
      maxReplicas: ingress.hpa.maxReplicas,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: ingress.hpa.cpuTargetPercent } } },
      ],
    },
    service,
  };
  if (Object.keys(ingress.serviceAnnotations).length > 0) k8s.serviceAnnotations = { ...ingress.serviceAnnotations };
  const gatewayValues: Record<string, unknown> = {
    // hpaSpec patches the HPA only while autoscaling is on; the chart's own
    // min/max are set to the same numbers so both paths agree.
    autoscaleEnabled: true,
    autoscaleMin: ingress.hpa.minReplicas,
    autoscaleMax: ingress.hpa.maxReplicas,
    cpu: { targetAverageUtilization: ingress.hpa.cpuTargetPercent },
  };
  if (ingress.runAsRoot) gatewayValues.runAsRoot = true;
  return {
    apiVersion: API.istioOperator,
    kind: 'IstioOperator',
    metadata: { name: cluster.name, namespace: 'istio-system' },
    spec: {
      profile: istio.profile,
      ...(istio.revision ? { revision: istio.revision } : {}),
      components: {
        egressGateways: [{ name: 'istio-egressgateway', enabled: istio.egressGateway }],
        ingressGateways: [{ name: ingress.name, enabled: true, label: { ...ingress.selector }, k8s }],
      },
      values: { gateways: { 'istio-ingressgateway': gatewayValues } },
    },
  };
}
