/**
 * Istio Gateway host matching: "*.example.com" covers any host with one or more
 * labels before ".example.com"; "*" covers everything; otherwise exact match.
 */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}
