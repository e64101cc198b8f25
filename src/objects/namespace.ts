import { API } from '../model/apis.js';
import type { ClusterModel } from '../resolve/model.js';
import type { K8sObject } from './types.js';

export function namespace(ns: ClusterModel['namespaces'][number]): K8sObject {
  return { apiVersion: API.namespace, kind: 'Namespace', metadata: { name: ns.name, labels: { ...ns.labels } } };
}

/** istio-system labelled with the cluster's network, created before istioctl install so the label is there from the start. */
export function istioSystemNamespace(network: string): K8sObject {
  return { apiVersion: API.namespace, kind: 'Namespace', metadata: { name: 'istio-system', labels: { 'topology.istio.io/network': network } } };
}
