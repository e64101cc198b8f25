import { API } from '../model/apis.js';
import type { ClusterModel } from '../resolve/model.js';
import type { K8sObject } from './types.js';

export function namespace(ns: ClusterModel['namespaces'][number]): K8sObject {
  return { apiVersion: API.namespace, kind: 'Namespace', metadata: { name: ns.name, labels: { ...ns.labels } } };
}

/**
 * istio-system with its labels (the cluster's network; a discovery selector's),
 * created before istioctl install so they are there from the start.
 */
export function istioSystemNamespace(labels: Record<string, string>): K8sObject {
  return { apiVersion: API.namespace, kind: 'Namespace', metadata: { name: 'istio-system', labels: { ...labels } } };
}
