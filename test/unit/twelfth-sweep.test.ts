/**
 * What the twelfth sweep of public repositories showed validate (2026-12-07: cybozu-go/neco-apps,
 * controlplaneio-fluxcd/d1-fleet, billimek/k8s-gitops, EOEPCA, stakater, giantswarm and twelve more): each
 * false error as the smallest repository that shows it, checked against kubectl kustomize v5.5.0 or upstream
 * source, with the true error beside it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateDirectory } from '../../lib/validate/directory.js';
import { BUNDLED_SCHEMAS } from '../../lib/validate/schemas.js';
import { tempDir } from '../helpers.js';
import { bootstrap, check, configMap, errors, fluxKustomization, kustomization } from '../validate-fixtures.js';

const REPO = 'https://github.com/example/platform.git';
const application = (name: string, path: string, repoURL = REPO, extra = '') =>
  `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: ${repoURL}\n    targetRevision: HEAD\n    path: ${path}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: default\n${extra}`;

/** The files on disk, validated as the bin does (kubectl builds what the offline builder does not). */
async function onDisk(entries: Record<string, string>) {
  const root = tempDir('hp-twelfth-');
  for (const [path, text] of Object.entries(entries)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return validateDirectory(root, { schemaLocations: [BUNDLED_SCHEMAS], repositoryUrls: [REPO] });
}

describe('kustomizations kubectl builds', () => {
  it('a patchesStrategicMerge file is read by the build, not an object nothing applies (neco-apps: 188 errors)', async () => {
    const report = await onDisk({
      'argocd-config/base/kustomization.yaml': kustomization('resources:\n  - app-a.yaml\n'),
      'argocd-config/base/app-a.yaml': application('app-a', 'app-a/base'),
      // A generator's file is data (recyclarr's `!env_var` tags), not YAML to check, in a build kubectl makes too.
      'argocd-config/overlays/gcp/kustomization.yaml': kustomization('resources:\n  - ../../base\npatchesStrategicMerge:\n  - app-a.yaml\nconfigMapGenerator:\n  - name: recyclarr\n    namespace: argocd\n    files:\n      - recyclarr.yml\n'),
      'argocd-config/overlays/gcp/recyclarr.yml': 'sonarr:\n  main:\n    api_key: !env_var SONARR_API_KEY\n',
      'argocd-config/overlays/gcp/app-a.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app-a\n  namespace: argocd\nspec:\n  source:\n    path: app-a/overlays/gcp\n',
      'app-a/base/kustomization.yaml': kustomization('resources:\n  - cm.yaml\n'),
      'app-a/base/cm.yaml': configMap('a', 'default'),
      'app-a/overlays/gcp/kustomization.yaml': kustomization('resources:\n  - ../../base\n'),
    });
    expect(errors(report)).toEqual([]);
    expect(report.kubectlBuilt).toContain('argocd-config/overlays/gcp');
  });

  it('what a kubectl build leads to is built by kubectl too: an overlay with nameSuffix its output names (neco-apps: 75 errors); a true duplicate stays one', async () => {
    const crb = (name: string) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ${name}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\nsubjects:\n  - kind: ServiceAccount\n    name: rook\n    namespace: default\n`;
    const repo = (suffixes: [string, string]) => ({
      'argocd/base/kustomization.yaml': kustomization('resources:\n  - rook.yaml\n'),
      'argocd/base/rook.yaml': application('rook', 'rook/base'),
      'argocd/overlays/gcp/kustomization.yaml': kustomization('resources:\n  - ../../base\npatchesStrategicMerge:\n  - rook.yaml\n'),
      'argocd/overlays/gcp/rook.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: rook\n  namespace: argocd\nspec:\n  source:\n    path: rook/overlays/gcp\n',
      'rook/base/kustomization.yaml': kustomization('resources:\n  - hdd\n  - ssd\n'),
      'rook/base/hdd/kustomization.yaml': kustomization(`resources:\n  - crb.yaml\nnameSuffix: "${suffixes[0]}"\n`),
      'rook/base/hdd/crb.yaml': crb('rook-global'),
      'rook/base/ssd/kustomization.yaml': kustomization(`resources:\n  - crb.yaml\nnameSuffix: "${suffixes[1]}"\n`),
      'rook/base/ssd/crb.yaml': crb('rook-global'),
      'rook/overlays/gcp/kustomization.yaml': kustomization('resources:\n  - ../../base\n'),
    });
    const fine = await onDisk(repo(['-hdd', '-ssd']));
    expect(errors(fine)).toEqual([]);
    expect(fine.kubectlBuilt).toEqual(expect.arrayContaining(['argocd/overlays/gcp', 'rook/overlays/gcp']));
    expect(errors(await onDisk(repo(['-x', '-x'])))).not.toEqual([]);
  });
});

describe('which repository an Argo CD source is', () => {
  it("an Application syncing its own directory's path of another repository is not this one's root (neco-apps: 154 errors)", async () => {
    const repo = {
      'argocd-config/overlays/prod/kustomization.yaml': 'resources:\n- app-a.yaml\n- tenant-apps.yaml\n- maneki-apps.yaml\n',
      'argocd-config/overlays/prod/app-a.yaml': application('app-a', 'app-a'),
      'argocd-config/overlays/prod/tenant-apps.yaml': application('tenant-apps', 'argocd-config/overlays/prod', 'https://github.com/other-org/tenant-apps.git'),
      'argocd-config/overlays/prod/maneki-apps.yaml': application('maneki-apps', 'argocd-config/overlays/prod', 'https://github.com/other-org2/maneki-apps.git'),
      'app-a/cm.yaml': configMap('a', 'default'),
    };
    const report = await check(repo, { repositoryUrls: [REPO] });
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.root)).toEqual(['argocd-config/overlays/prod']);
  });
});

describe("a Flux Kustomization's patches", () => {
  // kubectl kustomize v5.5.0: a patch whose top is `$patch: delete` removes every object its target selects.
  it('`$patch: delete` with a target removes what it selects (controlplaneio-fluxcd/d1-fleet: 16 errors)', async () => {
    const report = await check({
      ...bootstrap('dev'),
      'clusters/dev/apps.yaml': fluxKustomization('apps', './apps', '  patches:\n    - patch: |\n        $patch: delete\n        apiVersion: all\n        kind: all\n        metadata:\n          name: all\n      target:\n        labelSelector: toolkit.fluxcd.io/role=automation\n'),
      'apps/kustomization.yaml': kustomization('resources:\n  - objects.yaml\n'),
      'apps/objects.yaml': `${configMap('keep', 'default')}---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: automation\n  namespace: default\n  labels:\n    toolkit.fluxcd.io/role: automation\n`,
    });
    expect(errors(report)).toEqual([]);
    expect(report.stats.objects).toBe(4);
  });
});

describe('YAML as go-yaml reads it', () => {
  // kubectl kustomize v5.5.0 (kyaml, go-yaml v3) builds these; the yaml library (YAML 1.2) refuses them.
  it('a quoted value going on over lines at its key\'s column is read as go-yaml reads it, with one warning (neco-apps: 521 errors); an unclosed quote stays an error', async () => {
    const rule = (summary: string) => ({
      ...bootstrap('dev'),
      'clusters/dev/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alerts\n  namespace: default\ndata:\n  mode: standard\n  summary: ${summary}\n`,
    });
    const report = await check(rule("'{{ $value }} Pods of DaemonSet {{ $labels.daemonset\n  }} are not scheduled.'"));
    expect(errors(report)).toEqual([]);
    expect(report.findings.filter((f) => f.check === 'yaml').map((f) => `${f.severity} ${f.file}: ${f.message}`)).toEqual([
      "warning clusters/dev/cm.yaml: line 9: a quoted value goes on over lines no deeper than its key, which YAML 1.2 parsers refuse; go-yaml (kustomize, kubectl, the controllers) reads them as the value's, and so does this check: indent them past the key",
    ]);
    // The ConfigMap is read (and checked) beside flux bootstrap's two objects.
    expect(report.stats.objects).toBe(3);
    const broken = errors(await check(rule("'never closed\n  mode2: x\n")));
    expect(broken.some((e) => e.startsWith("clusters/dev/cm.yaml: YAML: Missing closing 'quote"))).toBe(true);
  });
});

describe('which directories are clusters, applied by hand', () => {
  it("overlays applied by hand (`kubectl apply -k overlays/<env>`) take in their base's Applications; the base is no cluster of its own (neco-apps: 370 errors)", async () => {
    const app = (name: string) => application(name, `apps/${name}`);
    const overlay = (env: string) => ({
      [`argocd-config/overlays/${env}/kustomization.yaml`]: kustomization(`resources:\n  - ../../base\n  - ${env}-only.yaml\n`),
      [`argocd-config/overlays/${env}/${env}-only.yaml`]: app(`${env}-only`),
      [`apps/${env}-only/cm.yaml`]: configMap(`${env}-only`, 'default'),
    });
    const report = await check(
      {
        'argocd-config/base/kustomization.yaml': kustomization('resources:\n  - web.yaml\n'),
        'argocd-config/base/web.yaml': app('web'),
        'apps/web/cm.yaml': configMap('web', 'default'),
        ...overlay('dev'),
        ...overlay('prod'),
      },
      { repositoryUrls: [REPO] },
    );
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.root).sort()).toEqual(['argocd-config/overlays/dev', 'argocd-config/overlays/prod']);
  });
});
