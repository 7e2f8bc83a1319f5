/**
 * Copies the validation data the generator needs offline into the package: the JSON Schemas of
 * every kind it emits (schemas/kubernetes, layout {group}/{kind}_{version}.json as flux-schema and
 * kubeconform use) and the default values (and values.schema.json) of every pinned chart
 * (schemas/charts/<chart>/<version>). Source: the shared data set (see its SOURCES.md).
 * Usage: npm run bundle-data [-- /path/to/shared]
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveAnswers, withDefaults } from '../lib/answers.js';
import { loadCatalog } from '../lib/catalog.js';
import { selectableComponents } from '../lib/questions.js';
import { render } from '../lib/generate.js';
import { PACKAGE_ROOT } from '../lib/package-info.js';
import { schemaFile } from '../lib/validate/schemas.js';

const shared = process.argv[2] ?? join(PACKAGE_ROOT, '..', 'shared');
const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'bundle' };

// Every kind any combination emits, from the renders themselves.
const kinds = new Map<string, { apiVersion: string; kind: string }>();
for (const provider of catalog.providers.keys()) {
  for (const engine of ['flux', 'argocd']) {
    for (const [backend, secrets, issuer, gateway] of [['provider-s3', 'external-secrets', 'private-ca', 'envoy'], ['garage', 'sealed-secrets', 'letsencrypt', 'istio'], ['garage', 'sealed-secrets', 'private-ca', 'traefik']]) {
      const raw = {
        provider,
        engine,
        components: selectableComponents(ctx),
        'object-storage': backend,
        's3-endpoint': 'https://s3.example.nl',
        'git-remote': 'https://git.example.nl/p.git',
        clusters: ['a'],
        secrets,
        'secret-store': 'store',
        'certificate-issuer': issuer,
        gateway,
        ...(issuer === 'letsencrypt' ? { 'acme-email': 'platform@example.nl' } : {}),
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
kinds.set('bitnami.com/v1alpha1/SealedSecret', { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret' });

const schemasOut = join(PACKAGE_ROOT, 'schemas', 'kubernetes');
rmSync(schemasOut, { recursive: true, force: true });
const sharedIndex = JSON.parse(readFileSync(join(shared, 'schemas', 'INDEX.json'), 'utf8')) as { apiVersion: string; kind: string; file: string; source: string; upstream: string; sha256: string }[];
const bundled = [];
for (const { apiVersion, kind } of [...kinds.values()].sort((a, b) => `${a.apiVersion}/${a.kind}`.localeCompare(`${b.apiVersion}/${b.kind}`))) {
  const file = schemaFile(apiVersion, kind);
  const entry = sharedIndex.find((e) => e.file === file);
  if (!entry) throw new Error(`no schema for ${apiVersion} ${kind} (${file}) in ${shared}/schemas`);
  mkdirSync(dirname(join(schemasOut, file)), { recursive: true });
  copyFileSync(join(shared, 'schemas', file), join(schemasOut, file));
  bundled.push(entry);
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
