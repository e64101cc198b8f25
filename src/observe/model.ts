/**
 * The observed estate: what the read-only collectors (`clusters/<c>/collect.sh`,
 * `hosts/<h>/collect.sh`) dumped, parsed into typed data. The observe stage reads a
 * dump directory into this model; the compare stage (verify) and `sitec import` read
 * only this model, never the dump files themselves.
 *
 * Every observed thing carries where it came from (`ObservedSource`): the dump file,
 * relative to the dump directory, and the 1-based line in it, so a finding or an
 * imported field can point at the exact place.
 *
 * Layout of a dump directory:
 *   DIR/clusters/<cluster>/<kind>.yaml   `kubectl get <kind> -A -o yaml` (a `kind: List`)
 *   DIR/clusters/<cluster>/errors.txt    what the collector could not read (optional)
 *   DIR/hosts/<host>/iptables-save.txt, ip6tables-save.txt, nft-ruleset.json,
 *     nginx-T.txt, ip-addr.json, ip-route.json, sysctl.txt, listeners.txt, errors.txt
 */

/** A place in the dump: a path relative to the dump directory and a 1-based line (0 when unknown). */
export interface ObservedSource {
  file: string;
  line: number;
}

/** Something the collector recorded as not collected: a missing tool, a refused permission. */
export interface CollectGap {
  /** What was to be collected: a kind (`services`), a file (`nginx-T.txt`). */
  what: string;
  /** The reason the collector wrote (`kubectl: forbidden`, `nft: command not found`). */
  reason: string;
  source: ObservedSource;
}

/** A whole dump directory. */
export interface ObservedEstate {
  /** The dump directory as given. */
  dir: string;
  /** Clusters by name (the directory name under clusters/), sorted by name. */
  clusters: ObservedCluster[];
  /** Hosts by name (the directory name under hosts/), sorted by name. */
  hosts: ObservedHost[];
}

// ---------------------------------------------------------------------------
// Clusters

/** One Kubernetes object as kubectl printed it, with where it is in the dump. */
export interface ObservedObject {
  apiVersion: string;
  kind: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  name: string;
  /** The whole object as parsed (metadata, spec, status, managedFields and all); never modified. */
  body: Record<string, unknown>;
  /** The `- apiVersion:` line of the item in its List file. */
  source: ObservedSource;
}

/** One cluster's dump. */
export interface ObservedCluster {
  name: string;
  /** Objects by kind (`Service`, `VirtualService`, ...), each list sorted by namespace then name. */
  objects: Map<string, ObservedObject[]>;
  /** The dump files read (relative to the dump directory), sorted. */
  files: string[];
  gaps: CollectGap[];
  /** The kubeconfig context the collector was given (context.txt), with its file; none: the current context. */
  context?: { name: string; file: string };
}

// ---------------------------------------------------------------------------
// Hosts: the firewall

/** One rule of an `iptables-save` dump, parsed into its matches and target. */
export interface IptablesRule {
  /** ipv4 for iptables-save.txt, ipv6 for ip6tables-save.txt. */
  family: 'ipv4' | 'ipv6';
  table: string;
  chain: string;
  /** 0-based position in its chain, in the order iptables evaluates it. */
  index: number;
  /** The rule's options by name without dashes, in order (`p`, `d`, `dport`, `comment`, `to-destination`...). Repeated options keep every value. */
  options: Array<{ name: string; value: string; negated: boolean }>;
  /** Matches loaded with `-m` (`tcp`, `comment`, `conntrack`), in order. */
  modules: string[];
  /** `-j` target (`DNAT`, `ACCEPT`, a user chain), or `-g` target; '' when the rule has none. */
  target: string;
  /** The `-m comment --comment` text, unquoted; '' when none. */
  comment: string;
  /** The rule text as dumped (`-A CHAIN ...`). */
  text: string;
  source: ObservedSource;
}

/** A chain of an iptables table with its policy (`-` for user chains). */
export interface IptablesChain {
  family: 'ipv4' | 'ipv6';
  table: string;
  name: string;
  policy: string;
  source: ObservedSource;
}

/** One rule of `nft -j list ruleset`, reduced to what a comparison needs. */
export interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  /** 0-based position in its chain. */
  index: number;
  /** The rule's `expr` array as nft printed it. */
  expr: unknown[];
  comment: string;
  source: ObservedSource;
}

export interface NftChain {
  family: string;
  table: string;
  name: string;
  type?: string;
  hook?: string;
  prio?: number;
  policy?: string;
}

/** The host's firewall, from whichever backend it was dumped with. */
export interface ObservedFirewall {
  iptables: { chains: IptablesChain[]; rules: IptablesRule[] };
  nft: { chains: NftChain[]; rules: NftRule[] };
}

// ---------------------------------------------------------------------------
// Hosts: nginx

/** One nginx directive with its arguments (unquoted, unescaped) and its block, if any. */
export interface NginxDirective {
  name: string;
  args: string[];
  /** Present for block directives (`http`, `server`, `upstream`, `location`...). */
  block?: NginxDirective[];
  /** The configuration file the directive is in (as `nginx -T` names it) and its line there. */
  file: string;
  line: number;
  /** The line in the dump (nginx-T.txt). */
  source: ObservedSource;
}

/** One configuration file as `nginx -T` printed it (`# configuration file PATH:`). */
export interface NginxFile {
  path: string;
  text: string;
  /** The dump line of the file's first line. */
  source: ObservedSource;
}

/** A `listen` directive of a server. */
export interface NginxListen {
  /** The address part as written (`192.0.2.10`, `[2001:db8::1]`, `*`, '' when only a port was given). */
  address: string;
  port: number;
  /** The flags after the address (`ssl`, `proxy_protocol`, `reuseport`...). */
  flags: string[];
  file: string;
  line: number;
}

/** A `server` block (http or stream context). */
export interface NginxServer {
  context: 'http' | 'stream';
  listens: NginxListen[];
  serverNames: string[];
  /** `proxy_pass` targets in the server and its locations. */
  proxyPass: string[];
  file: string;
  line: number;
  directive: NginxDirective;
}

/** An `upstream` block and its servers. */
export interface NginxUpstream {
  context: 'http' | 'stream';
  name: string;
  servers: Array<{ address: string; params: string[]; file: string; line: number }>;
  file: string;
  line: number;
}

/** The parsed `nginx -T` dump. */
export interface ObservedNginx {
  /** The first lines nginx prints (`nginx: the configuration file ... syntax is ok`). */
  testOutput: string[];
  /** Whether `nginx -T` said the test succeeded. */
  ok: boolean;
  files: NginxFile[];
  /** Each configuration file's directives, by the path nginx -T names it by (each file parsed on its own; includes are not inlined). */
  directivesByFile: Map<string, NginxDirective[]>;
  servers: NginxServer[];
  upstreams: NginxUpstream[];
}

// ---------------------------------------------------------------------------
// Hosts: addresses, routes, sysctl, listeners

/** One address of `ip -j addr`. */
export interface ObservedAddress {
  ifname: string;
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope: string;
}

/** One route of `ip -j route` (either family). */
export interface ObservedRoute {
  family: 'inet' | 'inet6';
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  body: Record<string, unknown>;
}

/** A listening TCP socket from `ss -ltnH`. */
export interface ObservedListener {
  address: string;
  port: number;
  source: ObservedSource;
}

/** One host's dump. */
export interface ObservedHost {
  name: string;
  firewall: ObservedFirewall;
  /** Absent when nginx-T.txt is absent. */
  nginx?: ObservedNginx;
  addresses: ObservedAddress[];
  routes: ObservedRoute[];
  /** `sysctl` keys to values (`net.ipv4.ip_forward` -> `1`). */
  sysctl: Map<string, { value: string; source: ObservedSource }>;
  listeners: ObservedListener[];
  /** The dump files read, sorted. */
  files: string[];
  gaps: CollectGap[];
}

/** A dump that cannot be read: exit 2. */
export class ObserveError extends Error {
  constructor(
    message: string,
    readonly source: ObservedSource,
  ) {
    super(message);
    this.name = 'ObserveError';
  }
}
