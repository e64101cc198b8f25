/** Hosts: an edge host's dump against the files the site builds for it. */
import type { ObservedHost } from '../observe/model.js';
import type { FilePlan } from '../plan/plan.js';
import { renderFile } from '../render/render.js';
import type { EdgeModel } from '../resolve/model.js';
import { compareIptables, leftoverIptables } from './iptables.js';
import { compareNetwork } from './network.js';
import { compareNft } from './nft.js';
import { compareNginx } from './nginx.js';
import type { Ctx } from './types.js';

/** One host: its firewall (whichever backend the site says), its addresses, routes and forwarding, and nginx. */
export function compareHost(ctx: Ctx, edge: EdgeModel, ei: number, host: ObservedHost): void {
  if (edge.firewall === 'nftables') {
    compareNft(ctx, edge, ei, host);
    leftoverIptables(ctx, edge, ei, host);
  } else compareIptables(ctx, edge, ei, host);
  compareNetwork(ctx, edge, ei, host);
  if (edge.nginx && host.nginx) compareNginx(ctx, edge, ei, host);
}

/** A planned file's text, as build writes it. */
export function renderedText(planned: FilePlan[], path: string, site: string): string | undefined {
  const f = planned.find((x) => x.path === path);
  return f ? renderFile(f, site).content : undefined;
}

/** Whether the collector wrote a file of the host's dump. */
export const dumped = (host: ObservedHost, file: string): boolean => host.files.includes(`hosts/${host.name}/${file}`);

/**
 * The forward of the site a tagged rule comes from (`sitec:<site>:<edge>:tcp-8080:dnat:...`):
 * `edges[i].forwards[j]`, or the edge when the tag names no forward of this version.
 */
export function forwardPath(edge: EdgeModel, ei: number, comment: string): Array<string | number> {
  const flow = comment.split(':')[3] ?? '';
  const fi = edge.forwards.findIndex((f) => `${f.protocol.toLowerCase()}-${f.publicPort}` === flow);
  return fi >= 0 ? ['edges', ei, 'forwards', fi] : ['edges', ei];
}
