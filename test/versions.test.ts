import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileText, mutate, only, positionOf, root } from './helpers/site.js';

// The gateway-api example: an HTTP, a TLS passthrough and a TCP route, Istio 1.30.3, Gateway API defaulted.
const example = readFileSync(join(root, 'examples/gateway-api/site.yaml'), 'utf8');
const pinned = (istio: string, gatewayApi?: string) => mutate(example, ['  istio: 1.30.3\n', `  istio: ${istio}\n${gatewayApi ? `  gatewayApi: ${gatewayApi}\n` : ''}`]);
/** The example without its TCP route: only HTTP and TLS passthrough remain. */
const withoutTcp = (text: string) => text.replace(/\n {2}- tcpPort: tcp-postgres\n( {4}.*\n)*/, '\n');

const objects = (text: string) => {
  const result = compileText(text);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result;
};
const apiVersionOf = (text: string, kind: string) => (parse(objects(text).files.find((f) => f.path.includes(`/40-routes/${kind.toLowerCase()}.`))!.content) as { apiVersion: string }).apiVersion;
const readme = (text: string) => objects(text).files.find((f) => f.path === 'README.md')!.content;
const operator = (text: string) => objects(text).files.find((f) => f.path === 'clusters/dc1/istio-operator.yaml')!.content;

describe('Gateway API objects at the version the Istio release reads', () => {
  it('Istio 1.30 reads TLSRoute v1 (stable, no alpha flag) from Gateway API v1.5.1, TCPRoute v1alpha2 from its experimental channel', () => {
    expect(apiVersionOf(example, 'TLSRoute')).toBe('gateway.networking.k8s.io/v1');
    expect(apiVersionOf(example, 'TCPRoute')).toBe('gateway.networking.k8s.io/v1alpha2');
    expect(readme(example)).toContain('releases/download/v1.5.1/experimental-install.yaml');
    expect(operator(example)).toContain('PILOT_ENABLE_ALPHA_GATEWAY_API');
  });

  it('Istio 1.30 without a TCP route: the standard channel, and no alpha flag', () => {
    const text = withoutTcp(example);
    expect(apiVersionOf(text, 'TLSRoute')).toBe('gateway.networking.k8s.io/v1');
    expect(readme(text)).toContain('releases/download/v1.5.1/standard-install.yaml');
    expect(operator(text)).not.toContain('PILOT_ENABLE_ALPHA_GATEWAY_API');
  });

  it('Istio 1.26 reads both as v1alpha2 from the experimental channel of v1.3.0, with the alpha flag', () => {
    const text = pinned('1.26.1');
    expect(apiVersionOf(text, 'TLSRoute')).toBe('gateway.networking.k8s.io/v1alpha2');
    expect(readme(text)).toContain('releases/download/v1.3.0/experimental-install.yaml');
    expect(operator(text)).toContain('PILOT_ENABLE_ALPHA_GATEWAY_API');
  });

  it('Istio 1.30 with Gateway API v1.6.1: TLS on the standard channel, TCPRoute v1alpha2 still on the experimental one', () => {
    expect(readme(withoutTcp(pinned('1.30.3', 'v1.6.1')))).toContain('releases/download/v1.6.1/standard-install.yaml');
    expect(readme(pinned('1.30.3', 'v1.6.1'))).toContain('releases/download/v1.6.1/experimental-install.yaml');
  });
});

describe('combinations that cannot work are refused, located at the version the user wrote', () => {
  it('Istio 1.30 with Gateway API v1.4.1: TLSRoute v1 is not served and istiod ignores the older CRD', () => {
    const text = pinned('1.30.3', 'v1.4.1');
    const result = compileText(text);
    const unserved = only(result, 'gateway-api-kind-unserved');
    expect(unserved).toMatchObject({ severity: 'error', path: 'versions.gatewayApi', location: positionOf(text, 'v1.4.1') });
    expect(unserved.message).toContain('Istio 1.30.3 reads TLSRoute as v1, but Gateway API v1.4.1 serves TLSRoute only as v1alpha2, v1alpha3');
    expect(unserved.hint).toContain('istio.io/latest/news/releases/1.30.x/announcing-1.30/upgrade-notes/');
    expect(only(result, 'gateway-api-tlsroute-ignored').message).toContain('older than Gateway API v1.5.0');
  });

  it('Istio 1.29 with Gateway API v1.5.1: istiod ignores a TLSRoute CRD newer than v1.4.1', () => {
    const text = pinned('1.29.6', 'v1.5.1');
    const d = only(compileText(text), 'gateway-api-tlsroute-ignored');
    expect(d).toMatchObject({ path: 'versions.gatewayApi', location: positionOf(text, 'v1.5.1') });
    expect(d.hint).toContain('v1.4.1');
    // Without the passthrough route there is no TLSRoute to lose.
    const noTls = text.replace(/\n {2}- host: db\.shop\.example\.test\n( {4}.*\n)*/, '\n');
    expect(noTls).not.toBe(text);
    expect(compileText(noTls).diagnostics.filter((x) => x.code.startsWith('gateway-api-'))).toEqual([]);
  });

  it('a release sitec has no data for is refused, naming the ones it knows', () => {
    const text = pinned('1.30.3', 'v1.7.0');
    expect(only(compileText(text), 'gateway-api-release-unknown').hint).toContain('v1.2.1, v1.3.0, v1.4.1, v1.5.1, v1.6.1');
  });

  it('every Istio release builds with the Gateway API release it defaults to', () => {
    for (const [istio, tls] of [
      ['1.24.6', 'v1alpha2'],
      ['1.25.5', 'v1alpha2'],
      ['1.26.8', 'v1alpha2'],
      ['1.27.9', 'v1alpha2'],
      ['1.28.10', 'v1alpha2'],
      ['1.29.6', 'v1alpha2'],
      ['1.30.3', 'v1'],
    ]) {
      const text = pinned(istio!);
      expect(
        compileText(text).diagnostics.filter((d) => d.code.startsWith('gateway-api-')),
        istio,
      ).toEqual([]);
      expect(apiVersionOf(text, 'TLSRoute'), istio).toBe(`gateway.networking.k8s.io/${tls}`);
    }
  });

  it('Istio 1.27.9 ignores TLSRoute CRDs after v1.4.0, so v1.4.1 is refused there', () => {
    // Istio 1.27.9 ignores TLSRoute CRDs after v1.4.0, so pinning v1.4.1 there fails; pinning nothing never does.
    const text = pinned('1.27.9', 'v1.4.1');
    expect(only(compileText(text), 'gateway-api-tlsroute-ignored')).toMatchObject({ path: 'versions.gatewayApi' });
  });

  it('an istio-routed site never asks for Gateway API versions', () => {
    const text = pinned('1.30.3', 'v1.4.1').replace('routingApi: gateway-api', 'routingApi: istio');
    expect(compileText(text).diagnostics.filter((d) => d.code.startsWith('gateway-api-'))).toEqual([]);
  });
});
