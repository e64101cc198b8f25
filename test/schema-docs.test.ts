import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { siteYamlReference } from '../src/schema-docs.js';
import { root } from './helpers/site.js';

const schema = () => JSON.parse(readFileSync(join(root, 'schemas/site.schema.json'), 'utf8')) as Parameters<typeof siteYamlReference>[0];

describe('the site.yaml reference', () => {
  it('docs/reference/site-yaml.md is exactly what the schema generates (run: npm run build && node scripts/gen-docs.mjs)', () => {
    expect(readFileSync(join(root, 'docs/reference/site-yaml.md'), 'utf8')).toBe(siteYamlReference(schema()));
  });

  it('lists every field with its type, default, description and hint', () => {
    const page = siteYamlReference(schema());
    // A nested field, its default and its enum.
    expect(page).toContain('## clusters[].istio.ingressGateway');
    expect(page).toMatch(/\| `externalTrafficPolicy` \| one of `Local`, `Cluster` \| `Local` \| /);
    // A required field, and an x-hint written out.
    expect(page).toMatch(/\| `site` \| \[dns1123Label\]\(#dns1123label\) \| \*\*required\*\* \| /);
    expect(page).toContain('Expected: an Istio release 1.24 or later, like 1.30.3.');
    // The named formats the fields link to each have a section.
    const headings = [...page.matchAll(/^#+ (.*)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, '')
        .replace(/ /g, '-'),
    );
    expect(new Set(headings).size, 'anchors are unique').toBe(headings.length);
    for (const [, target] of page.matchAll(/\]\(#([a-z0-9_-]+)\)/g)) expect(headings, target).toContain(target);
  });

  it('reaches every property the schema declares', () => {
    const names = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const props = (node as { properties?: Record<string, unknown> }).properties;
        if (props) for (const k of Object.keys(props)) names.add(k);
        Object.values(node).forEach(walk);
      }
    };
    walk(schema());
    const page = siteYamlReference(schema());
    expect([...names].filter((n) => !page.includes(`| \`${n}\` |`)).sort()).toEqual([]);
  });
});
