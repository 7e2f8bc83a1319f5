import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../lib/catalog.js';
import { ROOT } from '../helpers.js';

/** Pinned chart data for offline checks (../shared/charts, see its SOURCES.md); overridable for other layouts. */
const CHARTS = process.env.HAVEN_PLUS_CHARTS ?? join(ROOT, '..', 'shared', 'charts');

interface ChartIndexEntry {
  name: string;
  version: string;
  repoURL?: string;
  ociURL?: string;
  path: string;
  source: { repo: string; ref: string; path: string };
}

describe('catalog', () => {
  const catalog = loadCatalog();

  it('has the components and providers this release promises', () => {
    expect([...catalog.components.keys()]).toEqual([
      'alloy', 'argocd', 'cert-manager', 'envoy-gateway', 'external-secrets', 'falco', 'garage', 'gateway', 'gateway-api', 'headlamp', 'istio', 'kube-state-metrics', 'kyverno', 'loki',
      'metrics-server', 'nfs-server-provisioner', 'object-storage', 'postgres', 'rook-ceph', 'rwx', 'sealed-secrets', 'seaweedfs', 'secrets', 'traefik', 'trivy-operator', 'velero',
    ]);
    expect([...catalog.presets.keys()]).toEqual(['haven-compliance', 'haven-plus', 'minimal']);
    expect([...catalog.providers.keys()].sort()).toEqual(
      ['azure', 'cyso', 'exoscale', 'generic', 'hetzner', 'ionos', 'leaseweb', 'local', 'odc-noord', 'otc', 'ovhcloud', 'previder', 'scaleway', 'stackit', 'upcloud'],
    );
  });

  it('pins every chart to a version present in the shared chart data, from the repository it names', () => {
    expect(existsSync(join(CHARTS, 'INDEX.json')), `chart data not found at ${CHARTS}`).toBe(true);
    const index = JSON.parse(readFileSync(join(CHARTS, 'INDEX.json'), 'utf8')) as ChartIndexEntry[];
    for (const def of catalog.components.values()) {
      for (const r of def.controller?.releases ?? []) {
        if (r.kind === 'manifests') {
          // Upstream manifests at a release tag of a https git repository, never a branch.
          expect(r.source.url, `${def.id}/${r.name}`).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
          expect(r.version, `${def.id}/${r.name}`).toMatch(/^v\d+\.\d+\.\d+$/);
          continue;
        }
        const entry =
          r.source.type === 'git'
            ? index.find((e) => e.source.ref === r.version && e.source.path === r.chart)
            : index.find((e) => e.name === r.chart && e.version === r.version);
        expect(entry, `${def.id}/${r.name}: ${r.chart} ${r.version} is not in ${CHARTS}/INDEX.json`).toBeDefined();
        if (r.source.type === 'helm') expect(entry!.repoURL?.replace(/\/$/, ''), `${def.id}/${r.name} repository`).toBe(r.source.url.replace(/\/$/, ''));
        // Docker Hub's registry host is registry-1.docker.io; the chart data names it docker.io.
        if (r.source.type === 'oci') expect(r.source.url.replace('//registry-1.docker.io/', '//docker.io/'), `${def.id}/${r.name} registry`).toBe(entry!.ociURL);
        expect(existsSync(join(CHARTS, entry!.path, 'values.yaml'))).toBe(true);
      }
    }
  });

  it('every image a release lists is pinned to a tag, never latest', () => {
    for (const def of catalog.components.values()) {
      for (const r of def.controller?.releases ?? []) {
        // A tag (never latest), optionally with its digest.
        for (const image of r.images) expect(image, `${def.id}/${r.name}`).toMatch(/^[a-z0-9./-]+:(?!latest[@]|latest$)[\w.-]+(@sha256:[a-f0-9]{64})?$/);
      }
    }
  });
});

describe('bundled validation data', () => {
  const SHARED = process.env.HAVEN_PLUS_SCHEMA_LOCATION ?? join(ROOT, '..', 'shared', 'schemas');

  it('ships byte-identical copies of the shared schemas, for every kind the generator emits', () => {
    const index = JSON.parse(readFileSync(join(ROOT, 'schemas', 'kubernetes', 'INDEX.json'), 'utf8')) as { file: string }[];
    expect(index.length).toBeGreaterThanOrEqual(10);
    for (const { file } of index) expect(readFileSync(join(ROOT, 'schemas', 'kubernetes', file), 'utf8'), file).toBe(readFileSync(join(SHARED, file), 'utf8'));
  });

  it('ships the default values of every pinned chart, byte-identical to the shared chart data', () => {
    const index = JSON.parse(readFileSync(join(ROOT, 'schemas', 'charts', 'INDEX.json'), 'utf8')) as { path: string }[];
    // Every chart release (upstream manifests are not charts; charts without offline data say so).
    const releases = [...loadCatalog().components.values()].flatMap((c) => c.controller?.releases ?? []).filter((r) => r.kind === 'chart' && !r.valuesUnchecked);
    expect(index).toHaveLength(releases.length);
    for (const { path } of index) {
      expect(readFileSync(join(ROOT, 'schemas', 'charts', path, 'values.yaml'), 'utf8')).toBe(readFileSync(join(CHARTS, path, 'values.yaml'), 'utf8'));
    }
  });
});
