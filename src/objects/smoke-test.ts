import type { ClusterModel } from '../resolve/model.js';
import type { K8sObject } from './types.js';

type SmokeTest = ClusterModel['smokeTests'][number];
const ECHO_PORT = 5678;

/** Seed 000's echo server, answering with the route it stands in for. */
export function smokeTestDeployment(t: SmokeTest, cluster: string): K8sObject {
  const labels = { app: t.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: t.name, namespace: t.namespace, labels: { ...labels, 'app.kubernetes.io/managed-by': 'sitec' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'echo',
              image: t.image,
              args: [`-text=sitec smoke test: ${t.host} on cluster ${cluster}`, `-listen=:${ECHO_PORT}`],
              ports: [{ name: 'http', containerPort: ECHO_PORT }],
              resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } },
            },
          ],
        },
      },
    },
  };
}

/** Named http so Istio treats the port as HTTP. */
export function smokeTestService(t: SmokeTest): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: t.name, namespace: t.namespace, labels: { app: t.name, 'app.kubernetes.io/managed-by': 'sitec' } },
    spec: { selector: { app: t.name }, ports: [{ name: 'http', port: t.port, targetPort: ECHO_PORT }] },
  };
}
