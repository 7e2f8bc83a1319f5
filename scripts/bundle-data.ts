/**
 * Copies the validation data the generator needs offline into the package: the JSON Schemas of
 * every kind it emits (schemas/kubernetes, layout {group}/{kind}_{version}.json as flux-schema and
 * kubeconform use) and the default values (and values.schema.json) of every pinned chart
 * (schemas/charts/<chart>/<version>). Source: the shared data set (see its SOURCES.md).
 * Usage: npm run bundle-data [-- /path/to/shared]
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveAnswers, unsupportedOn, withDefaults } from '../lib/answers.js';
import { loadCatalog } from '../lib/catalog.js';
import { selectableComponents } from '../lib/questions.js';
import { render } from '../lib/generate.js';
import { PACKAGE_ROOT } from '../lib/package-info.js';
import { schemaFile } from '../lib/validate/schemas.js';
import { schemasFromCrd } from '../lib/validate/crd-schema.js';

const shared = process.argv[2] ?? join(PACKAGE_ROOT, '..', 'shared');
const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'bundle' };

// Every kind any combination emits, from the renders themselves.
const kinds = new Map<string, { apiVersion: string; kind: string }>();
for (const provider of catalog.providers.keys()) {
  for (const engine of ['flux', 'argocd']) {
    for (const [backend, secrets, issuer, gateway] of [
      ['provider-s3', 'external-secrets', 'private-ca', 'envoy'],
      ['garage', 'sealed-secrets', 'letsencrypt', 'istio'],
      ['garage', 'sealed-secrets', 'private-ca', 'traefik'],
      // The other in-cluster backends bring kinds of their own (Rook's ObjectBucketClaims, CephObjectStoreUser).
      ['rook-ceph', 'sealed-secrets', 'private-ca', 'envoy'],
      ['seaweedfs', 'sealed-secrets', 'private-ca', 'envoy'],
    ]) {
      // Rook-Ceph needs raw disks: never on a laptop sandbox.
      if (backend === 'rook-ceph' && catalog.providers.get(provider)!.sandbox) continue;
      const hub = engine === 'argocd' && backend === 'provider-s3' && !catalog.providers.get(provider)!.sandbox;
      const raw = {
        provider,
        engine,
        // Every component the provider allows (lib/answers.ts refuses the others there): ExternalDNS needs a DNS
        // service, MetalLB a network without a cloud load balancer, the GPU Operator's chart a cluster that is not OpenShift.
        components: selectableComponents(ctx).filter((id) => {
          const p = catalog.providers.get(provider)!;
          return (id !== 'external-dns' || p.dns) && !unsupportedOn(id, p);
        }),
        'object-storage': backend,
        's3-endpoint': 'https://s3.example.nl',
        'git-remote': 'https://git.example.nl/p.git',
        // Argo CD with a hub adds ApplicationSets; it needs a cluster to deploy to, and no sandbox.
        clusters: hub ? ['a', 'b'] : ['a'],
        ...(hub ? { topology: 'hub' } : {}),
        secrets,
        'secret-store': 'store',
        'certificate-issuer': issuer,
        gateway,
        ...(issuer === 'letsencrypt' ? { 'acme-email': 'platform@example.nl' } : {}),
        'keycloak-hostname': 'sso.{cluster}.example.nl',
        // MetalLB: a range of its own per cluster (one range on two clusters is refused).
        'cluster-settings': ['a.load-balancer-addresses=192.0.2.240-192.0.2.247', ...(hub ? ['b.load-balancer-addresses=192.0.2.248-192.0.2.255'] : [])],
        domain: 'apps.example.nl',
        // Tenants add a namespace's ServiceAccount and RoleBinding (Flux) or AppProject and Application (Argo CD).
        tenants: ['t=https://git.example.nl/t.git'],
        // Shared overlays add the clusters' cluster-vars ConfigMaps.
        ...(engine === 'flux' && backend === 'provider-s3' ? { overlays: 'per-profile' } : {}),
        // A sandbox is a kind cluster, or a k3d one in one of the combinations.
        ...(catalog.providers.get(provider)!.sandbox && gateway === 'traefik' ? { 'sandbox-runtime': 'k3d' } : {}),
      };
      const { files } = render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog);
      for (const [path, text] of files.entries()) {
        if (!path.endsWith('.yaml') || path.endsWith('/kustomization.yaml')) continue;
        for (const doc of parseAllDocuments(text)) {
          const o = doc.toJS() as { apiVersion?: string; kind?: string } | null;
          if (o?.apiVersion && o.kind) kinds.set(`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
        }
      }
    }
  }
}

// Secret files are made before rendering (lib/secrets): SOPS-encrypted Secrets and SealedSecrets.
kinds.set('v1/Secret', { apiVersion: 'v1', kind: 'Secret' });
// What people add beside the generated platform: every kind of the GitOps engines (Flux, Argo CD) and the
// built-in Kubernetes kinds the shared set has, so `validate` checks a repository's own objects offline too.
const VALIDATED_GROUPS = /^(core|apps|batch|policy|rbac\.authorization\.k8s\.io|networking\.k8s\.io|storage\.k8s\.io|scheduling\.k8s\.io|admissionregistration\.k8s\.io|apiextensions\.k8s\.io|[a-z.]*\.fluxcd\.io|fluxcd\.controlplane\.io|argoproj\.io)\//;
for (const e of JSON.parse(readFileSync(join(shared, 'schemas', 'INDEX.json'), 'utf8')) as { apiVersion: string; kind: string; file: string }[]) {
  if (VALIDATED_GROUPS.test(e.file)) kinds.set(`${e.apiVersion}/${e.kind}`, { apiVersion: e.apiVersion, kind: e.kind });
}
kinds.set('bitnami.com/v1alpha1/SealedSecret', { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret' });

/** A schema converted from the CRD of a pinned chart in the shared chart data (crds/*.yaml). */
function chartCrdSchema(apiVersion: string, kind: string): { schema: Record<string, unknown>; source: string } | undefined {
  const chartIndex = JSON.parse(readFileSync(join(shared, 'charts', 'INDEX.json'), 'utf8')) as { name: string; version: string; path: string }[];
  for (const def of catalog.components.values()) {
    for (const r of def.controller?.releases ?? []) {
      const entry = chartIndex.find((e) => e.name === r.chart && e.version === r.version);
      const dir = entry && join(shared, 'charts', entry.path, 'crds');
      if (!dir || !existsSync(dir)) continue;
      for (const name of readdirSync(dir, { recursive: true }).map(String).filter((n) => /\.ya?ml$/.test(n)).sort()) {
        for (const doc of parseAllDocuments(readFileSync(join(dir, name), 'utf8'))) {
          const crd = doc.toJS() as Record<string, unknown> | null;
          if (crd?.kind !== 'CustomResourceDefinition') continue;
          const hit = schemasFromCrd(crd).find((x) => x.apiVersion === apiVersion && x.kind === kind);
          if (hit) return { schema: hit.schema, source: `${entry.name} ${entry.version} crds/${name}` };
        }
      }
    }
  }
  return undefined;
}

const schemasOut = join(PACKAGE_ROOT, 'schemas', 'kubernetes');
rmSync(schemasOut, { recursive: true, force: true });
const sharedIndex = JSON.parse(readFileSync(join(shared, 'schemas', 'INDEX.json'), 'utf8')) as { apiVersion: string; kind: string; file: string; source: string; upstream: string; sha256: string }[];
const bundled = [];
for (const { apiVersion, kind } of [...kinds.values()].sort((a, b) => `${a.apiVersion}/${a.kind}`.localeCompare(`${b.apiVersion}/${b.kind}`))) {
  const file = schemaFile(apiVersion, kind);
  const entry = sharedIndex.find((e) => e.file === file);
  mkdirSync(dirname(join(schemasOut, file)), { recursive: true });
  if (entry) {
    copyFileSync(join(shared, 'schemas', file), join(schemasOut, file));
    bundled.push(entry);
    continue;
  }
  // Written here, for kinds that are no Kubernetes API (kind's cluster config): schemas/authored.
  const authored = join(PACKAGE_ROOT, 'schemas', 'authored', file);
  if (existsSync(authored)) {
    const text = readFileSync(authored, 'utf8');
    writeFileSync(join(schemasOut, file), text);
    const upstream = String((JSON.parse(text) as { $comment?: string }).$comment ?? '');
    bundled.push({ apiVersion, kind, file, source: `schemas/authored/${file}`, upstream, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });
    continue;
  }
  // Not in the shared set: convert the CRD a pinned chart ships (same rules as the shared conversions).
  const fromChart = chartCrdSchema(apiVersion, kind);
  if (!fromChart) throw new Error(`no schema for ${apiVersion} ${kind} (${file}) in ${shared}/schemas, nor a CRD in a pinned chart`);
  const text = `${JSON.stringify(fromChart.schema, null, 1)}\n`;
  writeFileSync(join(schemasOut, file), text);
  bundled.push({ apiVersion, kind, file, source: `converted from the CRD in ${fromChart.source}`, upstream: fromChart.source, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });
}
writeFileSync(join(schemasOut, 'INDEX.json'), `${JSON.stringify(bundled, null, 1)}\n`);

const chartsOut = join(PACKAGE_ROOT, 'schemas', 'charts');
rmSync(chartsOut, { recursive: true, force: true });
const chartIndex = JSON.parse(readFileSync(join(shared, 'charts', 'INDEX.json'), 'utf8')) as { name: string; version: string; path: string; source: { ref: string; path: string } }[];
const charts = [];
for (const def of catalog.components.values()) {
  for (const r of def.controller?.releases ?? []) {
    if (r.kind === 'manifests' || r.valuesUnchecked) continue; // no chart values to check
    const entry = r.source.type === 'git' ? chartIndex.find((e) => e.source.ref === r.version && e.source.path === r.chart) : chartIndex.find((e) => e.name === r.chart && e.version === r.version);
    if (!entry) throw new Error(`no chart data for ${r.chart} ${r.version}`);
    for (const f of ['Chart.yaml', 'values.yaml', 'values.schema.json']) {
      const from = join(shared, 'charts', entry.path, f);
      if (!existsSync(from)) continue;
      mkdirSync(join(chartsOut, entry.path), { recursive: true });
      copyFileSync(from, join(chartsOut, entry.path, f));
    }
    charts.push(entry);
  }
}
writeFileSync(join(chartsOut, 'INDEX.json'), `${JSON.stringify(charts, null, 1)}\n`);
process.stdout.write(`bundled ${bundled.length} schemas and ${charts.length} charts\n`);
