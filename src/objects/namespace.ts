import { API } from '../model/apis.js';
import type { ClusterModel } from '../resolve/model.js';
import type { K8sObject } from './types.js';

export function namespace(ns: ClusterModel['namespaces'][number]): K8sObject {
  return { apiVersion: API.namespace, kind: 'Namespace', metadata: { name: ns.name, labels: { ...ns.labels } } };
}
