/**
 * What public repositories showed validate (the 2026-12-07 sweep: onedr0p/home-ops, budimanjojo/home-cluster,
 * mitchross/talos-argocd-proxmox), each checked against upstream: an OCI chart under the tag its project
 * pushes besides the pinned one, values a chart renders whole, a chart's CRDs through another registry,
 * ClusterExternalSecret key names.
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { validateFiles } from '../../lib/validate/repository.js';

const SYNC = 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
const oci = (name: string, url: string, tag: string, values = '') =>
  `apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 15m\n  url: ${url}\n  ref:\n    tag: ${tag}\n  layerSelector:\n    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  chartRef:\n    kind: OCIRepository\n    name: ${name}\n${values}`;
const check = async (entries: Record<string, string>) => {
  const files = new FileSet();
  for (const [p, t] of Object.entries({ 'clusters/c1/apps.yaml': SYNC, ...entries })) files.add(p, t);
  return validateFiles(files);
};

describe('Envoy Gateway from its OCI registry (envoyproxy/gateway v1.9.0)', () => {
  const values = '  values:\n    config:\n      envoyGateway:\n        provider:\n          type: Kubernetes\n          kubernetes:\n            deploy:\n              type: GatewayNamespace\n';
  it.each(['v1.9.0', '1.9.0'])('tag %s is the pinned chart (release.yaml pushes both), and config.envoyGateway passes through whole', async (tag) => {
    const report = await check({ 'apps/eg.yaml': oci('envoy-gateway', 'oci://docker.io/envoyproxy/gateway-helm', tag, values) });
    expect(report.findings.filter((f) => f.check === 'values').map((f) => `${f.severity} ${f.message}`)).toEqual([]);
  });

  it('still reports a key the chart does not have outside what passes through', async () => {
    const report = await check({ 'apps/eg.yaml': oci('envoy-gateway', 'oci://docker.io/envoyproxy/gateway-helm', '1.9.0', `${values}    deployment:\n      replicaz: 2\n`) });
    expect(report.findings.filter((f) => f.check === 'values').map((f) => `${f.severity} ${f.message}`)).toEqual([expect.stringMatching(/^error .*replicaz/)]);
  });
});

describe("a chart's CRDs, installed from another registry than the catalog's", () => {
  it('external-secrets from oci://ghcr.io/external-secrets/charts installs the external-secrets.io CRDs (helm.yml pushes it there)', async () => {
    const report = await check({
      'clusters/c1/apps.yaml': `${SYNC.replace('name: apps', 'name: eso').replace('./apps', './eso')}---\n${SYNC.replace('  interval: 1h', '  dependsOn:\n    - name: eso\n  interval: 1h')}`,
      'eso/release.yaml': oci('external-secrets', 'oci://ghcr.io/external-secrets/charts/external-secrets', '2.9.0'),
      'apps/store.yaml': 'apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata:\n  name: vault\nspec:\n  provider:\n    fake:\n      data: []\n',
    });
    expect(report.findings.filter((f) => f.message.includes('CRDs of external-secrets.io')).map((f) => f.message)).toEqual([]);
  });
});

describe('ClusterExternalSecret', () => {
  it('names keys (secretKey), it holds no secret (external-secrets apis ExternalSecretData.SecretKey)', async () => {
    const report = await check({
      'apps/ces.yaml': 'apiVersion: external-secrets.io/v1\nkind: ClusterExternalSecret\nmetadata:\n  name: db\nspec:\n  namespaceSelectors:\n    - matchLabels: {db: "true"}\n  externalSecretSpec:\n    secretStoreRef:\n      kind: ClusterSecretStore\n      name: vault\n    target:\n      name: db\n    data:\n      - secretKey: password\n        remoteRef:\n          key: db\n          property: password\n',
    });
    expect(report.findings.filter((f) => f.check === 'secrets').map((f) => f.message)).toEqual([]);
  });
});

describe('Argo CD layouts (christianh814/gitops-examples)', () => {
  const app = (name: string, ns: string, path: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.nl/apps.git\n    path: ${path}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: ${ns}\n`;
  const argo = async (entries: Record<string, string>) => {
    const files = new FileSet();
    for (const [p, t] of Object.entries(entries)) files.add(p, t);
    return (await validateFiles(files)).findings.filter((f) => f.severity === 'error' && f.check === 'reference').map((f) => f.message);
  };

  it('`path: .` is the repository root, which is there', async () => {
    expect(await argo({ 'bootstrap/app.yaml': app('root', 'argocd', '.'), 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: argocd\n' })).toEqual([]);
  });

  it("Argo CD's own namespace is where its Applications live (openshift-gitops), there before anything syncs", async () => {
    expect(await argo({ 'gitops/root.yaml': app('root', 'openshift-gitops', 'gitops'), 'gitops/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: openshift-gitops\n' })).toEqual([]);
  });
});

describe('Argo CD objects applied by hand into its own namespace (christianh814/gitops-examples)', () => {
  it('an ApplicationSet applied by hand into openshift-gitops needs no one to create that namespace', async () => {
    const files = new FileSet();
    files.add('clusters/bgd/appset.yaml', 'apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: bgd\n  namespace: openshift-gitops\nspec:\n  generators:\n    - list:\n        elements: [{cluster: in-cluster}]\n  template:\n    metadata:\n      name: \'{{cluster}}-bgd\'\n    spec:\n      project: default\n      source:\n        repoURL: https://git.example.nl/apps.git\n        path: apps/bgd\n      destination:\n        name: \'{{cluster}}\'\n        namespace: bgd\n      syncPolicy:\n        syncOptions: [CreateNamespace=true]\n');
    files.add('apps/bgd/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bgd\n');
    const report = await validateFiles(files);
    expect(report.findings.filter((f) => f.severity === 'error' && f.check === 'reference').map((f) => f.message)).toEqual([]);
  });
});

describe('directories of alternatives applied by hand (christianh814/gitops-examples)', () => {
  const appset = (name: string, path: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements: [{cluster: c1, url: 'https://api.c1.example.nl:6443'}]\n  template:\n    metadata:\n      name: '{{cluster}}-${name}'\n    spec:\n      project: default\n      source:\n        repoURL: https://git.example.nl/apps.git\n        path: ${path}\n      destination:\n        server: '{{url}}'\n        namespace: bgd\n      syncPolicy:\n        syncOptions: [CreateNamespace=true]\n`;
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bgd\n';
  const findings = async (entries: Record<string, string>) => {
    const files = new FileSet();
    for (const [p, t] of Object.entries({ 'apps/a/cm.yaml': cm, 'apps/b/cm.yaml': cm, ...entries })) files.add(p, t);
    return (await validateFiles(files)).findings.filter((f) => f.message.includes('is also applied by')).map((f) => `${f.severity} ${f.message}`);
  };

  it('two ApplicationSets from two directories applied by hand that deploy the same objects: a warning (nothing says both are applied)', async () => {
    expect(await findings({ 'git-generator/appset.yaml': appset('one', 'apps/a'), 'list-generator/appset.yaml': appset('two', 'apps/b') })).toEqual([
      expect.stringMatching(/^warning ConfigMap bgd\/bgd is also applied by c1-(one|two) .*applied by hand from (git|list)-generator and (git|list)-generator: if both are applied to one Argo CD, two Applications own it$/),
    ]);
  });

  it('the same two ApplicationSets in one directory applied by hand: an error (both are applied)', async () => {
    expect(await findings({ 'sets/one.yaml': appset('one', 'apps/a'), 'sets/two.yaml': appset('two', 'apps/b') })).toEqual([expect.stringMatching(/^error ConfigMap bgd\/bgd is also applied by c1-one \(apps\/a\/cm.yaml\), not only by c1-two$/)]);
  });
});

describe('a patch beside Argo CD objects applied by hand (kubectl patch --patch-file, christianh814/gitops-examples cmp/)', () => {
  const app = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: sample\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.nl/apps.git\n    path: apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n';
  const partial = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: argocd-repo-server\n  namespace: argocd\nspec:\n  template:\n    spec:\n      containers:\n        - name: cmp\n          image: alpine\n';
  const run = async (name: string) => {
    const files = new FileSet();
    files.add('cmp/3.app.yaml', app);
    files.add(`cmp/${name}`, partial);
    files.add('apps/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n');
    return validateFiles(files);
  };

  it.each(['2.argocd-repo-server-patch.yaml', 'patches.yaml', 'patch_deploy.yml'])('%s is taken to be a patch: not applied, and a note says so', async (name) => {
    const report = await run(name);
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([]);
    expect(report.notes).toContainEqual(`cmp/${name}: taken to be a patch (its name says so), as cmp is applied by hand: not applied, not checked`);
  });

  it('the same partial Deployment under another name is applied, and refused', async () => {
    const report = await run('repo-server.yaml');
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toContainEqual(expect.stringContaining("must have required property 'selector'"));
  });
});
