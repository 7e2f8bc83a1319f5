import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadCatalog } from '../../lib/catalog.js';
import { schemasFromCrd } from '../../lib/validate/crd-schema.js';
import { ROOT } from '../helpers.js';
import { HAS_SHARED, needsShared } from '../shared.js';

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
      'alloy', 'argocd', 'cert-manager', 'envoy-gateway', 'external-dns', 'external-secrets', 'falco', 'garage', 'gateway', 'gateway-api', 'gpu-operator', 'grafana', 'headlamp', 'istio', 'keycloak', 'kube-state-metrics', 'kyverno', 'loki',
      'metallb', 'metrics-server', 'mimir', 'nfs-server-provisioner', 'object-storage', 'postgres', 'rook-ceph', 'rwx', 'sealed-secrets', 'seaweedfs', 'secrets', 'tempo', 'traefik', 'trivy-operator', 'velero',
    ]);
    expect([...catalog.presets.keys()]).toEqual(['haven-compliance', 'haven-plus', 'minimal']);
    expect([...catalog.providers.keys()].sort()).toEqual(
      ['azure', 'cyso', 'exoscale', 'generic', 'hetzner', 'ionos', 'leaseweb', 'local', 'odc-noord', 'otc', 'ovhcloud', 'previder', 'scaleway', 'stackit', 'upcloud'],
    );
  });

  it.skipIf(!HAS_SHARED)(needsShared('pins every chart to a version present in the shared chart data, from the repository it names'), () => {
    expect(existsSync(join(CHARTS, 'INDEX.json')), `chart data not found at ${CHARTS}`).toBe(true);
    const index = JSON.parse(readFileSync(join(CHARTS, 'INDEX.json'), 'utf8')) as ChartIndexEntry[];
    for (const def of catalog.components.values()) {
      for (const r of def.controller?.releases ?? []) {
        if (r.kind === 'manifests') {
          // Upstream manifests at a release tag of a https git repository, never a branch.
          expect(r.source.url, `${def.id}/${r.name}`).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
          expect(r.version, `${def.id}/${r.name}`).toMatch(/^v?\d+\.\d+\.\d+$/);
          continue;
        }
        if (r.valuesUnchecked) {
          // Only a chart truly missing from the shared data may skip the offline values check.
          expect(index.find((e) => e.name === r.chart && e.version === r.version), `${def.id}/${r.name} has chart data: drop valuesUnchecked`).toBeUndefined();
          continue;
        }
        const entry =
          r.source.type === 'git'
            ? index.find((e) => e.source.ref === r.version && e.source.path === r.chart)
            : index.find((e) => e.name === r.chart && e.version === r.version);
        expect(entry, `${def.id}/${r.name}: ${r.chart} ${r.version} is not in ${CHARTS}/INDEX.json`).toBeDefined();
        if (r.source.type === 'helm') expect(entry!.repoURL?.replace(/\/$/, ''), `${def.id}/${r.name} repository`).toBe(r.source.url.replace(/\/$/, ''));
        // Docker Hub's registry host is registry-1.docker.io; the chart data names it docker.io.
        if (r.source.type === 'oci') expect(r.source.url.replace('//registry-1.docker.io/', '//docker.io/'), `${def.id}/${r.name} registry`).toBe(entry!.ociURL ?? entry!.repoURL);
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
  const SHARED = (process.env.HAVEN_PLUS_SCHEMA_LOCATION ?? join(ROOT, '..', 'shared', 'schemas')).split(/[,;]/)[0]; // the shared set comes first

  it.skipIf(!HAS_SHARED)(needsShared('ships byte-identical copies of the shared schemas, and conversions of pinned charts\' CRDs for kinds the shared set lacks'), () => {
    const index = JSON.parse(readFileSync(join(ROOT, 'schemas', 'kubernetes', 'INDEX.json'), 'utf8')) as { apiVersion: string; kind: string; file: string; upstream: string; source: string }[];
    expect(index.length).toBeGreaterThanOrEqual(10);
    const chartIndex = JSON.parse(readFileSync(join(CHARTS, 'INDEX.json'), 'utf8')) as ChartIndexEntry[];
    let converted = 0;
    for (const { apiVersion, kind, file, upstream, source } of index) {
      const shipped = readFileSync(join(ROOT, 'schemas', 'kubernetes', file), 'utf8');
      if (source.startsWith('schemas/authored/')) {
        // Written here, for configuration files that are no Kubernetes API (kind's cluster config).
        expect(shipped, file).toBe(readFileSync(join(ROOT, source), 'utf8'));
        expect(existsSync(join(SHARED, file)), `${file} is in the shared set: copy it instead`).toBe(false);
        continue;
      }
      if (!source.startsWith('converted from the CRD in ')) {
        expect(shipped, file).toBe(readFileSync(join(SHARED, file), 'utf8'));
        continue;
      }
      // Not in the shared set: the conversion of the CRD a pinned chart ships, reproduced here.
      expect(existsSync(join(SHARED, file)), `${file} is in the shared set: copy it instead`).toBe(false);
      const [name, version, crdFile] = upstream.split(' ');
      const entry = chartIndex.find((e) => e.name === name && e.version === version)!;
      const crds = parseAllDocuments(readFileSync(join(CHARTS, entry.path, crdFile), 'utf8')).map((d) => d.toJS());
      const fresh = crds.flatMap((crd) => schemasFromCrd(crd)).find((x) => x.apiVersion === apiVersion && x.kind === kind)!;
      expect(JSON.parse(shipped), file).toEqual(fresh.schema);
      converted++;
    }
    expect(converted).toBeGreaterThan(0);
  });

  it('converts a CRD strictly: closed objects, open root, preserved unknown fields left open', () => {
    const [s] = schemasFromCrd({
      spec: {
        group: 'example.org',
        names: { kind: 'Thing' },
        versions: [
          { name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string' }, free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { b: { type: 'string' } } } } } } } } },
          { name: 'v0', served: false, schema: { openAPIV3Schema: { type: 'object' } } },
        ],
      },
    });
    expect(s.apiVersion).toBe('example.org/v1');
    const spec = (s.schema.properties as Record<string, Record<string, unknown>>).spec;
    expect(spec.additionalProperties).toBe(false);
    expect((spec.properties as Record<string, Record<string, unknown>>).free.additionalProperties).toBeUndefined();
    expect(s.schema.additionalProperties).toBeUndefined();
    expect((s.schema.properties as Record<string, unknown>).metadata).toEqual({ type: 'object' });
  });

  it.skipIf(!HAS_SHARED)(needsShared('ships the default values of every pinned chart, byte-identical to the shared chart data'), () => {
    const index = JSON.parse(readFileSync(join(ROOT, 'schemas', 'charts', 'INDEX.json'), 'utf8')) as { path: string }[];
    // Every chart release (upstream manifests are not charts; charts without offline data say so).
    const releases = [...loadCatalog().components.values()].flatMap((c) => c.controller?.releases ?? []).filter((r) => r.kind === 'chart' && !r.valuesUnchecked);
    expect(index).toHaveLength(releases.length);
    for (const { path } of index) {
      expect(readFileSync(join(ROOT, 'schemas', 'charts', path, 'values.yaml'), 'utf8')).toBe(readFileSync(join(CHARTS, path, 'values.yaml'), 'utf8'));
    }
  });
});
