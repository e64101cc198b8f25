import { API } from '../model/apis.js';
import type { ClusterModel } from '../resolve/model.js';

export interface KindCluster {
  kind: 'Cluster';
  apiVersion: string;
  name: string;
  networking: { podSubnet: string; serviceSubnet: string };
  nodes: { role: 'control-plane' | 'worker'; image?: string; extraPortMappings?: { containerPort: number; hostPort: number; protocol: 'TCP' | 'UDP' }[] }[];
}

/**
 * The kind Cluster config for `kind create cluster --config`. Every fixed node
 * port is mapped to the same host port on the first control-plane node; kube-proxy
 * forwards from there to wherever the pods run.
 */
export function kindCluster(cluster: ClusterModel): KindCluster {
  const kind = cluster.kind!;
  const first = cluster.nodes.findIndex((n) => n.role === 'control-plane');
  return {
    kind: 'Cluster',
    apiVersion: API.kind,
    name: kind.name,
    networking: { ...ipFamilyOf(cluster.podCIDRs), podSubnet: cluster.podCIDRs.join(','), serviceSubnet: cluster.serviceCIDRs.join(',') },
    nodes: cluster.nodes.map((n, i) => ({
      role: n.role,
      ...(kind.image ? { image: kind.image } : {}),
      ...(i === first && kind.portMappings.length > 0 ? { extraPortMappings: kind.portMappings.map((p) => ({ containerPort: p.port, hostPort: p.port, protocol: p.protocol })) } : {}),
    })),
  };
}

/** kind's networking.ipFamily: left out for IPv4 (its default), ipv6 or dual otherwise. */
function ipFamilyOf(cidrs: readonly string[]): { ipFamily?: 'ipv6' | 'dual' } {
  if (cidrs.length === 2) return { ipFamily: 'dual' };
  return cidrs[0]!.includes(':') ? { ipFamily: 'ipv6' } : {};
}
