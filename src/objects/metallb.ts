import { API } from '../model/apis.js';
import type { ClusterModel } from '../resolve/model.js';
import type { K8sObject } from './types.js';

type MetalLB = NonNullable<ClusterModel['metallb']>;

export interface IPAddressPool extends K8sObject {
  spec: { addresses: string[]; autoAssign: boolean; avoidBuggyIPs: boolean };
}

export interface L2Advertisement extends K8sObject {
  spec: { ipAddressPools?: string[] };
}

export function ipAddressPool(pool: MetalLB['pools'][number]): IPAddressPool {
  return {
    apiVersion: API.metallb,
    kind: 'IPAddressPool',
    metadata: { name: pool.name, namespace: 'metallb-system' },
    spec: { addresses: [...pool.addresses], autoAssign: pool.autoAssign, avoidBuggyIPs: pool.avoidBuggyIPs },
  };
}

/** No ipAddressPools means "announce every pool" to MetalLB. */
export function l2Advertisement(l2: MetalLB['l2Advertisement']): L2Advertisement {
  return {
    apiVersion: API.metallb,
    kind: 'L2Advertisement',
    metadata: { name: l2.name, namespace: 'metallb-system' },
    spec: l2.pools ? { ipAddressPools: [...l2.pools] } : {},
  };
}
