/**
 * `validate` on repositories nobody here wrote: the public GitOps repositories of ../shared/realrepos
 * (byte for byte at a pinned commit, see its SOURCES.md). Each must give no error but the true findings
 * docs/validation.md names, file and line; the corpus is read where ../shared is, never copied here.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateDirectory } from '../../lib/validate/directory.js';
import { BUNDLED_SCHEMAS } from '../../lib/validate/schemas.js';
import { HAS_SHARED, needsShared, SHARED_DIR } from '../shared.js';

const CORPUS = join(SHARED_DIR, 'realrepos');

/** The true findings in each repository (docs/validation.md, "Real repositories"): file → message pattern. */
const TRUE_FINDINGS: Record<string, [string, RegExp][]> = {
  'fluxcd__flux2-kustomize-helm-example': [],
  'fluxcd__flux2-monitoring-example': [
    // Grafana's admin password in the clear in the HelmRelease values (line 42).
    ['monitoring/controllers/kube-prometheus-stack/release.yaml', /^line 42: adminPassword has a literal value/],
    // The corpus leaves out the three dashboards (JSON) its configMapGenerator reads: kustomize cannot build it.
    ['monitoring/configs/kustomization.yaml', /kubectl kustomize failed: .*dashboards\/control-plane\.json: no such file or directory/],
  ],
  'fluxcd__flux2-multi-tenancy': [
    // OCIRepository v1beta2 was removed in Flux 2.7 (source-controller v1.7.0): Flux 2.9 refuses it.
    ['infrastructure/kyverno/source.yaml', /source\.toolkit\.fluxcd\.io\/v1beta2 is not served by Flux 2\.9/],
  ],
  'gitops-bridge-dev__gitops-bridge-argocd-control-plane-template': [],
};

/** The clusters each repository has, as validate finds them. */
const CLUSTERS: Record<string, string> = {
  'fluxcd__flux2-kustomize-helm-example': 'production flux, staging flux',
  'fluxcd__flux2-monitoring-example': 'test flux',
  'fluxcd__flux2-multi-tenancy': 'production flux, staging flux',
  // Argo CD ApplicationSets applied by hand, one entry per directory.
  'gitops-bridge-dev__gitops-bridge-argocd-control-plane-template':
    'bootstrap/control-plane/addons/aws argocd, bootstrap/control-plane/addons/aws/ack argocd, bootstrap/control-plane/addons/oss argocd, bootstrap/control-plane/clusters argocd, bootstrap/control-plane/exclude argocd, hack/exclude argocd',
};

describe('validate on public GitOps repositories', () => {
  it.skipIf(!HAS_SHARED)(needsShared('covers every repository of the corpus'), () => {
    const dirs = readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(dirs).toEqual(Object.keys(TRUE_FINDINGS).sort());
  });

  it.skipIf(!HAS_SHARED).each(Object.entries(TRUE_FINDINGS))(needsShared('%s: only its true findings, and its clusters found'), async (name, expected) => {
    const report = await validateDirectory(join(CORPUS, name), { schemaLocations: [BUNDLED_SCHEMAS] });
    const errors = report.findings.filter((f) => f.severity === 'error').map((f) => ({ file: f.file, message: f.message }));
    expect(errors.length, JSON.stringify(errors, null, 1)).toBe(expected.length);
    for (const [file, message] of expected) expect(errors, `${file} ${message}`).toContainEqual({ file, message: expect.stringMatching(message) });
    expect(report.clusters.map((c) => `${c.name} ${c.engine}`).join(', ')).toBe(CLUSTERS[name]);
  });
});
