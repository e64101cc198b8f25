import type { Site } from '../../model/site.js';
import { clusterDnsIp, cidrsOf } from '../../model/derive.js';
import { contains, nthAddress, parseCidr, parseIp, sameIp } from '../../util/ip.js';
import type { CheckContext } from '../../source/report.js';

/** Platform adaptations: CoreDNS upstreams that cannot loop, Cilium settings only on Cilium, console load balancers with node ports. */
export function checkPlatform(site: Site, ctx: CheckContext): void {
  site.clusters.forEach((c, ci) => {
    const at = ['clusters', ci];
    if (c.coredns) {
      // The kube-dns Service has an address in every family of the Service network: the primary one (declared or derived), and the 10th of the others.
      const dns = [
        clusterDnsIp(c),
        ...cidrsOf(c.serviceCIDR)
          .slice(1)
          .map((cidr) => nthAddress(cidr, 10)),
      ];
      if (c.coredns.clusterDNS !== undefined && !cidrsOf(c.serviceCIDR).some((cidr) => contains(parseCidr(cidr), parseIp(c.coredns!.clusterDNS!)))) {
        ctx.error(
          'coredns-dns-outside-service-cidr',
          [...at, 'coredns', 'clusterDNS'],
          `cluster DNS ${c.coredns.clusterDNS} is outside serviceCIDR ${cidrsOf(c.serviceCIDR).join(', ')}`,
          'the kube-dns Service takes an address of the Service network',
        );
      }
      c.coredns.upstreams.forEach((u, i) => {
        if (dns.some((d) => sameIp(d, u))) {
          ctx.error(
            'coredns-upstream-loop',
            [...at, 'coredns', 'upstreams', i],
            `upstream ${u} is the cluster DNS Service itself: CoreDNS would forward to itself`,
            "use the resolvers of the nodes' network or public ones, e.g. 1.1.1.1",
          );
        }
      });
    }
    if (c.cilium.disableL7Proxy && c.cni !== 'cilium') {
      ctx.error(
        'cilium-settings-without-cilium',
        [...at, 'cilium', 'disableL7Proxy'],
        `cluster "${c.name}" sets Cilium options but its cni is "${c.cni}"`,
        'set cni: cilium, or drop the cilium block',
      );
    }
    const ingress = c.istio.ingressGateway;
    if (ingress.consoleLoadBalancer) {
      if (ingress.serviceType === 'ClusterIP') {
        ctx.error(
          'console-lb-needs-nodeports',
          [...at, 'istio', 'ingressGateway', 'serviceType'],
          'a console load balancer forwards to node ports, but the gateway is a ClusterIP Service',
          'use serviceType: NodePort',
        );
      }
      ingress.ports.forEach((p, pi) => {
        if (p.port !== 15021 && p.nodePort === undefined) {
          ctx.error(
            'console-lb-needs-nodeports',
            [...at, 'istio', 'ingressGateway', 'ports', pi],
            `port "${p.name}" has no fixed nodePort to register on the console load balancer`,
            'add nodePort: every port the load balancer forwards must be fixed',
          );
        }
      });
    }
  });
}
