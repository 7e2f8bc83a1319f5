/**
 * What the sixth sweep of public repositories showed validate (2026-12-07: mirceanton/home-ops,
 * rafaribe/home-ops, tyriis/home-ops, small-hack/argocd-apps, gavinmcfall/home-ops): each false error's
 * cause, checked against upstream, as the smallest repository that shows it, with the true error beside it.
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { validateFiles } from '../../lib/validate/repository.js';

const check = async (entries: Record<string, string>) => {
  const files = new FileSet();
  for (const [p, t] of Object.entries(entries)) files.add(p, t);
  return validateFiles(files);
};
const errors = (r: Awaited<ReturnType<typeof check>>) => r.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);
const k = (kind: string, body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${kind}${body}`;

describe('a Flux Operator root (rafaribe, mirceanton)', () => {
  const ks = (path: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: memory-mcp\n  namespace: flux-system\nspec:\n  interval: 1h\n  prune: true\n  targetNamespace: ai\n  path: ${path}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n`;
  const tree = (root: Record<string, string>, prefix: string) => ({
    ...root,
    [`${prefix}/kustomization.yaml`]: k('', `resources:\n  - ./flux-instance.yaml\n  - ./ai\n`),
    [`${prefix}/ai/kustomization.yaml`]: k('namespace: ai\n', 'resources:\n  - ./namespace.yaml\n  - ./mcp\n'),
    [`${prefix}/ai/namespace.yaml`]: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ai\n',
    [`${prefix}/ai/mcp/kustomization.yaml`]: k('', 'resources:\n  - ./memory/ks.yaml\n'),
    [`${prefix}/ai/mcp/memory/ks.yaml`]: ks(`./${prefix}/ai/mcp/memory`),
    [`${prefix}/ai/mcp/memory/kustomization.yaml`]: k('', 'resources:\n  - ./configmap.yaml\n'),
    [`${prefix}/ai/mcp/memory/configmap.yaml`]: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: memory-mcp\ndata:\n  key: value\n',
  });
  const instance = (path: string) => `apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  distribution:\n    version: "2.x"\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: GitRepository\n    url: https://github.com/example/home-ops.git\n    ref: refs/heads/main\n    path: ${path}\n`;
  it("a Kustomization in the directory it syncs, which the root applies and that directory's kustomization leaves out, is no root of its own", async () => {
    const report = await check(tree({ 'clusters/home/flux-instance.yaml': instance('clusters/home') }, 'clusters/home'));
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.name)).toEqual(['home']);
  });
  it("a HelmRelease of the flux-instance chart is the root its values' sync names, as the FluxInstance it renders", async () => {
    const release = 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: flux-instance\n  namespace: flux-system\nspec:\n  interval: 1h\n  layerSelector:\n    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n  ref:\n    tag: 0.58.1\n  url: oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux-instance\n  namespace: flux-system\nspec:\n  interval: 30m\n  chartRef:\n    kind: OCIRepository\n    name: flux-instance\n  values:\n    instance:\n      sync:\n        kind: GitRepository\n        url: https://github.com/example/home-ops.git\n        ref: refs/heads/main\n        path: kubernetes/apps\n';
    const report = await check(tree({ 'kubernetes/apps/flux-instance.yaml': release }, 'kubernetes/apps'));
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.how)).toEqual(['HelmRelease flux-instance of the flux-instance chart in kubernetes/apps/flux-instance.yaml syncs it']);
    // The same HelmRelease syncing a path that does not exist is an error of that root.
    const wrong = await check(tree({ 'kubernetes/apps/flux-instance.yaml': release.replace('path: kubernetes/apps', 'path: kubernetes/app') }, 'kubernetes/apps'));
    expect(errors(wrong)).toEqual(['kubernetes/apps/flux-instance.yaml: Kustomization flux-system: path kubernetes/app does not exist']);
  });
  it("whose sync is a directory an older root already applies (gavinmcfall, moving to the Flux Operator) is that cluster, not a second walk", async () => {
    const older = 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 30m\n  url: https://github.com/example/home-ops.git\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cluster\n  namespace: flux-system\nspec:\n  interval: 30m\n  path: ./kubernetes\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
    const release = 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux-instance\n  namespace: flux-system\nspec:\n  interval: 30m\n  chart:\n    spec:\n      chart: flux-instance\n      sourceRef:\n        kind: HelmRepository\n        name: controlplane\n  values:\n    instance:\n      sync:\n        kind: GitRepository\n        url: https://github.com/example/home-ops.git\n        ref: refs/heads/main\n        path: kubernetes/apps\n';
    const report = await check(tree({ 'kubernetes/config/cluster.yaml': older, 'kubernetes/apps/flux-instance.yaml': release }, 'kubernetes/apps'));
    expect(report.clusters.map((c) => c.root)).toEqual(['kubernetes']);
    expect(report.notes.join('\n')).toContain("the flux-instance chart's sync (HelmRelease flux-instance) syncs kubernetes/apps, which another root already applies");
  });
});

describe("the secret scan: names of a Secret's keys and of Secrets, and env: references (small-hack, tyriis, gavinmcfall)", () => {
  const root = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: main\n    path: apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n';
  const values = (body: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\n  namespace: argocd\ndata:\n  values.yaml: |\n${body.replace(/^/gm, '    ')}\n`;
  it('key-name maps, *ExistingSecret siblings, existingSecret… names, env:VAR, cookie names and dashboard titles are no literal credentials', async () => {
    const report = await check({
      'root.yaml': root,
      'apps/values.yaml': values('admin:\n  existingSecret: app-credentials\n  secretKeys:\n    username: username\n    password: password\nsmtp:\n  existingSecretKeys:\n    password: smtp-password\n    clientSecret: client_secret\njwt:\n  existingsecret: app-gotrue-credentials\n  secretKey: jwtSecret\nsecurity:\n  trustedKeyServersExistingSecret: trusted-key-servers\n  trustedKeyServersSecretKey: trustedKeyServers\nharbor:\n  existingSecretAdminPassword: harbor-credentials\nkomf:\n  comicVineApiKey: "env:KOMF_COMICVINE_API_KEY"\noidc:\n  cookieNames:\n    idToken: IdToken-platform\n    accessToken: AccessToken-platform\ndashboard: |\n  {"transformations": [{"options": {"renameByName": {\n    "share_token": "Downloaded Share Token"\n  }}}]}'),
    });
    expect(errors(report)).toEqual([]);
  });
  it('a literal password outside such a map, and a generated-looking value inside one, still are', async () => {
    const report = await check({ 'root.yaml': root, 'apps/values.yaml': values('admin:\n  password: Harbor12345\n  secretKeys:\n    password: "q8#Zr!v2LmN0pX7w"') });
    expect(errors(report).sort()).toEqual(['apps/values.yaml: line 11: password has a literal value; reference a Secret instead', 'apps/values.yaml: line 9: password has a literal value; reference a Secret instead']);
  });
});

describe('an alias as a mapping key, `*app:` (rafaribe, gavinmcfall: the app-template idiom)', () => {
  const sync = 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.com/org/repo.git\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/prod\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
  it('is read as go-yaml (kustomize, Flux) reads it: the key is the anchored value, and the object is checked', async () => {
    const report = await check({
      'clusters/prod/flux-system/gotk-sync.yaml': sync,
      'clusters/prod/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &app demo\n  namespace: default\ndata:\n  *app: enabled\n  other: value\n',
    });
    expect(errors(report)).toEqual([]);
    // A value that is no string under it is still found: the object was checked.
    const wrong = await check({ 'clusters/prod/flux-system/gotk-sync.yaml': sync, 'clusters/prod/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &app demo\n  namespace: default\ndata:\n  *app:\n    nested: map\n' });
    expect(errors(wrong)).toEqual([expect.stringMatching(/clusters\/prod\/cm\.yaml: .*data\/demo/)]);
  });
});

describe("chart values the chart passes through whole (tyriis: loki's rulerConfig and ingester, additionalProperties: true)", () => {
  const sync = 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.com/org/repo.git\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/prod\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
  const loki = (values: string) => `apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: loki\n  namespace: flux-system\nspec:\n  interval: 1h\n  layerSelector:\n    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n  ref:\n    tag: 18.11.0\n  url: oci://ghcr.io/grafana-community/helm-charts/loki\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: loki\n  namespace: flux-system\nspec:\n  interval: 1h\n  chartRef:\n    kind: OCIRepository\n    name: loki\n  values:\n    deploymentMode: SingleBinary\n    loki:\n${values}`;
  it('take any key; a key beside them the chart does not have is still unknown', async () => {
    const open = await check({ 'clusters/prod/flux-system/gotk-sync.yaml': sync, 'clusters/prod/loki.yaml': loki('      ingester:\n        chunk_encoding: snappy\n      rulerConfig:\n        enable_api: true\n        alertmanager_url: http://alertmanager:9093\n') });
    expect(errors(open)).toEqual([]);
    const typo = await check({ 'clusters/prod/flux-system/gotk-sync.yaml': sync, 'clusters/prod/loki.yaml': loki('      rulerConfigs:\n        enable_api: true\n') });
    expect(errors(typo)).toEqual([expect.stringMatching(/values \/loki\/rulerConfigs.*no such value/)]);
    // The chart's generated schema sets additionalProperties: true at its root too, beside every documented
    // value: that opens nothing (a top-level typo stays unknown, as external-dns' defaultPodOptions).
    const top = await check({ 'clusters/prod/flux-system/gotk-sync.yaml': sync, 'clusters/prod/loki.yaml': loki('      auth_enabled: false\n').replace('    deploymentMode: SingleBinary\n', '    deploymentModes: SingleBinary\n') });
    expect(errors(top)).toEqual([expect.stringMatching(/values \/deploymentModes.*no such value/)]);
  });
});

describe("a patch of the path that targets what the Flux Kustomization's spec.components add (tyriis, mirceanton)", () => {
  const sync = 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.com/org/repo.git\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/home\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
  const tree = (components: boolean) => ({
    'clusters/home/flux-system/gotk-sync.yaml': sync,
    'clusters/home/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n',
    'clusters/home/demo.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: demo\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  targetNamespace: demo\n  path: ./apps/demo\n${components ? '  components:\n    - ../../components/extra\n' : ''}  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`,
    'apps/demo/kustomization.yaml': k('', 'resources:\n  - ./configmap.yaml\npatches:\n  - path: ./extra.patch.yaml\n'),
    'apps/demo/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  a: "1"\n',
    'apps/demo/extra.patch.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo-extra\ndata:\n  b: patched\n',
    'components/extra/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./configmap.yaml\n',
    'components/extra/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo-extra\ndata:\n  b: original\n',
  });
  it('finds its target there (kustomize applies patches after components); without the components it finds none', async () => {
    expect(errors(await check(tree(true)))).toEqual([]);
    expect(errors(await check(tree(false)))).toEqual(['apps/demo/extra.patch.yaml: patch for ConfigMap demo-extra matches no object in the build of apps/demo']);
  });
});
