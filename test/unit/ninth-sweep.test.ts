/**
 * What the ninth sweep of public repositories showed validate (2026-12-07: hmcts/sds-flux-config,
 * osowski/confluent-platform-gitops, lsst-sqre/phalanx, kingdon-ci/fleet-infra, rwlove/home-ops,
 * Ramblurr/home-ops, JiwooL0920/fleet-infra, redhat-na-ssa/demo-ai-gitops-catalog): each false error (and one
 * crash) as the smallest repository that shows it, checked against upstream, with the true error beside it.
 */
import { describe, expect, it } from 'vitest';
import { buildKustomization } from '../../lib/validate/build.js';
import { formatHuman } from '../../lib/validate/report.js';
import { bootstrap, check, configMap, errors, filesOf, fluxKustomization, helmRelease, helmRepository, kustomization, namespace, type Report, warnings } from '../validate-fixtures.js';

describe("a cluster's sync that its directory's build makes (hmcts/sds-flux-config: 1 486 errors → 44)", () => {
  // clusters/prod takes in a flux-system Kustomization shared by every cluster and patches its path to
  // ./clusters/prod: the patch file, not the shared one, names the directory. kustomize-controller applies the
  // build, so the built Kustomization is the cluster's sync; apps/flux-system/ is no cluster of its own, and the
  // patch files below it are patches, not objects.
  const repo = {
    'apps/flux-system/base/gitrepo.yaml': `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-config\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: https://github.com/example/fleet\n`,
    'apps/flux-system/base/kustomize.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-config\n  path: ./clusters/\${ENVIRONMENT}\n`,
    'apps/flux-system/base/kustomization.yaml': kustomization('resources:\n  - gitrepo.yaml\n  - kustomize.yaml\n'),
    'apps/flux-system/prod/kustomize.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  path: ./clusters/prod\n  postBuild:\n    substitute:\n      ENVIRONMENT: prod\n`,
    'apps/demo/base/configmap.yaml': configMap('demo', 'default'),
    'apps/demo/base/kustomization.yaml': kustomization('resources:\n  - configmap.yaml\n'),
    'apps/demo/prod/configmap-patch.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: default\ndata:\n  mode: prod\n',
    'apps/demo/prod/kustomization.yaml': kustomization('resources:\n  - ../base\npatches:\n  - path: configmap-patch.yaml\n'),
    'clusters/prod/kustomization.yaml': kustomization('resources:\n  - ../../apps/flux-system/base\n  - ../../apps/demo/prod\npatches:\n  - path: ../../apps/flux-system/prod/kustomize.yaml\n'),
  };

  it('is that cluster\'s root; the shared flux-system/ and its patch files are not a cluster', async () => {
    const report = await check(repo);
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(report.notes.join('\n')).not.toContain('apps/flux-system/prod/kustomize.yaml: ');
  });

  it('what the cluster applies is still checked: a patch that finds no object fails its build', async () => {
    const report = await check({ ...repo, 'apps/demo/prod/configmap-patch.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo-typo\n  namespace: default\ndata:\n  mode: prod\n' });
    expect(errors(report)).toEqual(['apps/demo/prod/configmap-patch.yaml: patch for ConfigMap default/demo-typo matches no object in the build of apps/demo/prod']);
  });
});

describe('patches select objects as kustomize does (checked with kubectl kustomize v5.5.0; the differential test is kustomize-exact)', () => {
  const base = {
    'base/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${NAMESPACE}\n  namespace: ${NAMESPACE}\n',
    'base/kustomization.yaml': kustomization('resources:\n  - sa.yaml\nnamespace: appreg\n'),
  };
  const patched = (patch: string) => filesOf({ ...base, 'demo/sa.yaml': patch, 'demo/kustomization.yaml': kustomization('resources:\n  - ../base\npatches:\n  - path: sa.yaml\n') });

  it('by the namespace an object had before a base moved it (hmcts: ServiceAccount ${NAMESPACE}/${NAMESPACE}, 81 errors)', () => {
    const build = buildKustomization(patched('apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${NAMESPACE}\n  namespace: ${NAMESPACE}\n  annotations:\n    azure.workload.identity/client-id: x\n'), 'demo');
    expect(build.errors).toEqual([]);
    expect(build.objects.map((b) => b.object.metadata)).toEqual([{ name: '${NAMESPACE}', namespace: 'appreg', annotations: { 'azure.workload.identity/client-id': 'x' } }]);
  });

  it('and by the one it has now, but not without a namespace, nor by another apiVersion (kustomize finds no target: its build fails)', () => {
    expect(buildKustomization(patched('apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${NAMESPACE}\n  namespace: appreg\n'), 'demo').errors).toEqual([]);
    expect(buildKustomization(patched('apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${NAMESPACE}\n'), 'demo').errors.map((e) => e.message)).toEqual(['patch for ServiceAccount ${NAMESPACE} matches no object in the build of demo']);
    expect(buildKustomization(patched('apiVersion: v2\nkind: ServiceAccount\nmetadata:\n  name: ${NAMESPACE}\n  namespace: appreg\n'), 'demo').errors).toHaveLength(1);
  });

  it('`$patch: delete` removes what it selects (hmcts: a HelmRelease one cluster leaves out, "unknown field $patch")', async () => {
    const release = helmRelease('house-keeping', 'mi', 'job', '1.0.0', 'charts');
    const report = await check({
      ...bootstrap('prod'),
      'clusters/prod/apps.yaml': fluxKustomization('apps', './apps/prod'),
      'apps/base/namespace.yaml': namespace('mi'),
      'apps/base/release.yaml': release,
      'apps/base/source.yaml': helmRepository('charts', 'https://charts.example.nl'),
      'apps/base/kustomization.yaml': kustomization('resources:\n  - namespace.yaml\n  - source.yaml\n  - release.yaml\n'),
      'apps/prod/remove.yaml': '$patch: delete\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: house-keeping\n  namespace: mi\n',
      'apps/prod/kustomization.yaml': kustomization('resources:\n  - ../base\npatches:\n  - path: remove.yaml\n'),
    });
    expect(errors(report)).toEqual([]);
    expect(report.findings.map((f) => f.message).join('\n')).not.toContain('house-keeping');
  });
});

describe('Helm templates are rendered by Helm, not applied as written', () => {
  const app = (repoURL: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: demo\n  namespace: argocd\nspec:\n  project: default\n  destination:\n    namespace: demo\n    server: https://kubernetes.default.svc\n  source:\n    path: apps/demo\n    repoURL: ${repoURL}\n    targetRevision: main\n`;

  it('without a Chart.yaml beside them (lsst-sqre/phalanx\'s test data): no crash, no Application applied by hand', async () => {
    // `repoURL: {{ .Values.repoUrl | quote }}` parses to a map: it crashed the check (exit 70).
    const report = await check({ 'env/templates/app.yaml': app('{{ .Values.repoUrl | quote }}'), 'env/values.yaml': 'repoUrl: https://github.com/example/repo.git\n', 'apps/demo/cm.yaml': configMap('demo', 'demo') });
    expect(report.clusters).toEqual([]);
    expect(errors(report)).toEqual([
      '.: no cluster found: no Flux Kustomization or flux-system/ directory, and the Argo CD Applications here are in Helm chart templates (env/templates/app.yaml), which Helm renders before Argo CD reads them: nothing renders them offline, so nothing they apply is checked. An Application of this repository written as YAML (the root of an app-of-apps) is what validate starts from',
    ]);
    // Exit 2, said as such in the last line.
    expect(formatHuman(report).split('\n').at(-1)).toBe('✗ nothing to validate: no cluster found');
    const token = await check({ 'env/templates/app.yaml': app('{{ .Values.repoUrl | quote }}'), 'env/values.yaml': 'awsAccessKeyId: "AKIAQSJOS2SFBNRYNM4I"\n' });
    expect(formatHuman(token).split('\n').at(-1)).toBe('✗ nothing to validate: no cluster found; 1 other error(s) in the files scanned');
    // A source whose repoURL is no text, in an Application that is applied, is no URL either (no crash).
    const applied = await check({ 'argocd/app.yaml': app('{ url: x }'), 'apps/demo/cm.yaml': configMap('demo', 'demo') });
    expect(applied.clusters.map((c) => c.name)).toEqual(['argocd']);
  });

  it('an AppProject in a chart\'s template (osowski: `sourceRepos: [{{ .Values.git.repoUrl }}]`, 103 errors) is known by name only: a warning', async () => {
    const repo = {
      'clusters/demo/bootstrap.yaml': app('https://github.com/example/platform.git').replace('name: demo', 'name: bootstrap').replace('path: apps/demo', 'path: bootstrap').replace('namespace: demo', 'namespace: argocd'),
      'bootstrap/Chart.yaml': 'apiVersion: v2\nname: bootstrap\nversion: 0.1.0\n',
      'bootstrap/values.yaml': 'git:\n  repoUrl: https://github.com/example/platform.git\n',
      'bootstrap/templates/projects.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: infrastructure\n  namespace: argocd\nspec:\n  sourceRepos:\n    - {{ .Values.git.repoUrl }}\n  destinations:\n    - namespace: "*"\n      server: https://kubernetes.default.svc\n',
      'clusters/demo/infrastructure/cm.yaml': app('https://github.com/example/platform.git').replace('project: default', 'project: infrastructure').replace('path: apps/demo', 'path: infrastructure/cm').replace('syncPolicy', 'x').replace('targetRevision: main\n', 'targetRevision: main\n  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n'),
      'infrastructure/cm/cm.yaml': configMap('demo', 'demo'),
    };
    const report = await check(repo);
    expect(errors(report)).toEqual([]);
    expect(warnings(report)).toContain('clusters/demo/infrastructure/cm.yaml: project infrastructure is in a Helm template (bootstrap/templates/projects.yaml): its sources and destinations are what Helm renders, not checked offline');
    // The same project written out, without the source: the error stays.
    const plain = await check({ ...repo, 'bootstrap/templates/projects.yaml': repo['bootstrap/templates/projects.yaml'].replace('{{ .Values.git.repoUrl }}', 'https://github.com/example/other.git') });
    expect(errors(plain)).toEqual(['clusters/demo/infrastructure/cm.yaml: source https://github.com/example/platform.git is not in the sourceRepos of project infrastructure']);
  });
});

describe('namespaces that are there', () => {
  it("a FluxInstance's own namespace, the Flux Operator's (kingdon-ci/fleet-infra: 17 errors)", async () => {
    const instance = 'apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: cozy-fluxcd\nspec:\n  distribution:\n    version: "2.x"\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: GitRepository\n    url: https://github.com/example/fleet\n    ref: refs/heads/main\n    path: clusters/edge\n';
    const report = await check({ 'clusters/edge/flux-instance.yaml': instance, 'clusters/edge/settings.yaml': configMap('settings', 'cozy-fluxcd') });
    expect(errors(report)).toEqual([]);
    // Another namespace still has to be made.
    expect(errors(await check({ 'clusters/edge/flux-instance.yaml': instance, 'clusters/edge/settings.yaml': configMap('settings', 'apps') }))).toEqual(['clusters/edge/settings.yaml: namespace apps is never created on cluster edge']);
  });

  const operator = (extra: Record<string, string>) => ({
    ...bootstrap('prod'),
    'clusters/prod/operator.yaml': `${helmRepository('cnpg', 'https://cloudnative-pg.github.io/charts')}---\n${helmRelease('cnpg-operator', 'flux-system', 'cloudnative-pg', '0.29.0', 'cnpg', '  targetNamespace: cnpg-system\n  install:\n    createNamespace: true\n')}`,
    ...extra,
  });

  it("a release's targetNamespace Helm creates (install.createNamespace, JiwooL0920/fleet-infra: 5 errors), for what a later Kustomization applies", async () => {
    const report = await check(operator({ 'clusters/prod/db.yaml': fluxKustomization('db', './apps/db', '  dependsOn:\n    - name: flux-system\n'), 'apps/db/cm.yaml': configMap('db-settings', 'cnpg-system') }));
    expect(errors(report).filter((e) => !e.includes('values'))).toEqual([]);
  });

  it('but not for what the same Kustomization applies: kustomize-controller dry-runs everything first (fluxcd/pkg ssa ApplyAll), so neither applies', async () => {
    const report = await check(operator({ 'clusters/prod/db.yaml': configMap('db-settings', 'cnpg-system') }));
    expect(errors(report)).toEqual([
      'clusters/prod/db.yaml: namespace cnpg-system is created by Helm when HelmRelease flux-system/cnpg-operator installs (install.createNamespace), and flux-system applies both: its apply fails on this object before the release exists, so neither ever applies (put the release in a Kustomization this one dependsOn, or apply a Namespace)',
    ]);
  });

  it('those the bases of a directory applied by hand hold (redhat-na-ssa/demo-ai-gitops-catalog: `kubectl apply -k` applies its ../base)', async () => {
    const report = await check({
      'app/base/namespace.yaml': namespace('kafka'),
      'app/base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\ndata:\n  a: b\n',
      'app/base/kustomization.yaml': kustomization('namespace: kafka\nresources:\n  - namespace.yaml\n  - cm.yaml\n'),
      'app/overlay/app.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: demo\n  namespace: openshift-gitops\nspec:\n  project: default\n  destination:\n    namespace: kafka\n    server: https://kubernetes.default.svc\n  source:\n    repoURL: https://github.com/example/other.git\n    path: chart\n    targetRevision: main\n',
      'app/overlay/cm.yaml': configMap('overlay', 'kafka'),
      'app/overlay/other.yaml': configMap('elsewhere', 'strimzi'),
      'app/overlay/kustomization.yaml': kustomization('resources:\n  - ../base\n  - app.yaml\n  - cm.yaml\n  - other.yaml\n'),
    });
    expect(errors(report)).toEqual(['app/overlay/other.yaml: namespace strimzi is never created on cluster app/overlay']);
  });
});

describe('what operators make, and what the API server keeps', () => {
  it("an ObjectBucketClaim's ConfigMap and Secret, named as the claim (Rook and ODF docs; Ramblurr, rwlove: 6 errors)", async () => {
    const claim = 'apiVersion: objectbucket.io/v1alpha1\nkind: ObjectBucketClaim\nmetadata:\n  name: loki-bucket\n  namespace: observability\nspec:\n  generateBucketName: loki\n  storageClassName: ceph-bucket\n';
    const release = helmRelease('loki', 'observability', 'loki', '6.0.0', 'grafana', '  valuesFrom:\n    - kind: ConfigMap\n      name: loki-bucket\n      valuesKey: BUCKET_HOST\n      targetPath: loki.storage.s3.endpoint\n    - kind: ConfigMap\n      name: loki-settings\n');
    const report = await check({ ...bootstrap('prod'), 'clusters/prod/loki.yaml': `${namespace('observability')}---\n${claim}---\n${helmRepository('grafana', 'https://grafana.github.io/helm-charts')}---\n${release}` });
    expect(errors(report).filter((e) => !e.includes('values /'))).toEqual(['clusters/prod/loki.yaml: valuesFrom ConfigMap observability/loki-settings does not exist']);
  });

  it("a manifest's status is the controller's (MetalLB's IPAddressPool with `status: {}`, kingdon-ci: 4 errors); its spec is still checked", async () => {
    const pool = (spec: string) => `apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: default\n  namespace: metallb-system\nspec:\n${spec}status: {}\n`;
    const repo = (spec: string) => ({ ...bootstrap('prod'), 'clusters/prod/pool.yaml': `${namespace('metallb-system')}---\n${pool(spec)}` });
    expect(errors(await check(repo('  addresses:\n    - 10.0.0.0/28\n'))).filter((e) => !e.includes('CRDs'))).toEqual([]);
    expect(errors(await check(repo('  addresses: 10.0.0.0/28\n'))).filter((e) => e.includes('/spec'))).toHaveLength(1);
  });
});

describe('chart values the templates read that values.yaml leaves out (rwlove: 3 errors)', () => {
  const release = (values: string, chart = 'istiod', version = '1.30.3', repo = 'istio') =>
    `${helmRelease(chart, 'istio-system', chart, version, repo, `  values:\n${values}`)}`;
  const repo = (releases: string) => ({ ...bootstrap('prod'), 'clusters/prod/mesh.yaml': `${namespace('istio-system')}---\n${helmRepository('istio', 'https://istio-release.storage.googleapis.com/charts')}---\n${helmRepository('nvidia', 'https://helm.ngc.nvidia.com/nvidia')}---\n${releases}` });
  const valueErrors = async (releases: string) => errors(await check(repo(releases))).filter((e) => e.includes('values'));

  it("istiod's meshConfig is the MeshConfig API, any key of it (configmap.yaml at 1.30.3: mergeOverwrite)", async () => {
    expect(await valueErrors(release('    meshConfig:\n      enableTracing: true\n      extensionProviders:\n        - name: otel\n'))).toEqual([]);
    expect(await valueErrors(release('    meshConfg:\n      enableTracing: true\n'))).toEqual(['clusters/prod/mesh.yaml: values /meshConfg: istiod 1.30.3 has no such value (not in its default values.yaml)']);
  });

  it("gpu-operator's validator.driver.env and its kin (clusterpolicy.yaml at v26.7.0)", async () => {
    expect(await valueErrors(release('    validator:\n      driver:\n        env:\n          - name: DISABLE_DEV_CHAR_SYMLINK_CREATION\n            value: "true"\n', 'gpu-operator', 'v26.7.0', 'nvidia'))).toEqual([]);
    expect(await valueErrors(release('    validater:\n      driver: {}\n', 'gpu-operator', 'v26.7.0', 'nvidia'))).toEqual(['clusters/prod/mesh.yaml: values /validater: gpu-operator v26.7.0 has no such value (not in its default values.yaml)']);
  });
});

describe('the secret scan', () => {
  const settings = (data: string) => ({ ...bootstrap('prod'), 'clusters/prod/settings.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n${data}` });
  const secretErrors = async (entries: Record<string, string>) => errors(await check(entries)).filter((e) => e.includes('secret') || e.includes('literal') || e.includes('holds'));

  it('an address is no password (`SVC_ONEPASSWORD: "10.10.12.15"`, 1Password Connect\'s service); a literal password still is', async () => {
    expect(await secretErrors(settings('  SVC_ONEPASSWORD: "10.10.12.15"\n  SVC_ONEPASSWORD_PORT: "10.10.12.15:8080"\n'))).toEqual([]);
    expect(await secretErrors(settings('  SVC_ONEPASSWORD: "10.10.12.15x"\n'))).toEqual(['clusters/prod/settings.yaml: line 7: SVC_ONEPASSWORD has a literal value; reference a Secret instead']);
  });

  it("a list of claim names under a token key (Authelia's `id_token: ['email', 'groups']`); one word in a list still is a literal", async () => {
    const config = (line: string) => settings(`  configuration.yml: |\n    identity_providers:\n      oidc:\n        claims_policies:\n          default:\n            ${line}\n`);
    expect(await secretErrors(config("id_token: ['email', 'email_verified', 'preferred_username', 'name', 'groups']"))).toEqual([]);
    expect(await secretErrors(config("api_token: ['s3cr3tT0ken']"))).toEqual(['clusters/prod/settings.yaml: line 12: api_token has a literal value; reference a Secret instead']);
  });

  it("an example token made of one word over and over (the actions-runner-controller chart's `ghp_sampleSample…`); a random one is caught", async () => {
    const values = (token: string) => ({ ...bootstrap('prod'), 'clusters/prod/kustomization.yaml': kustomization('resources:\n  - flux-system\nconfigMapGenerator:\n  - name: arc-values\n    namespace: flux-system\n    files:\n      - values.yaml\n'), 'clusters/prod/values.yaml': `githubConfigSecret:\n  # Example:\n  # github_token: "${token}"\n  github_token: ""\n` });
    expect(await secretErrors(values('ghp_sampleSampleSampleSampleSampleSample'))).toEqual([]);
    expect(await secretErrors(values('ghp_Zq8wLk3Rt5Yh7Mn2Bv4Cx6Az9Sd1Fg0Hj3Kl'))).toEqual(['clusters/prod/values.yaml: line 3 holds a GitHub token']);
  });
});

describe("a variable without a value, by the Flux the cluster runs (hmcts: gotk-components of Flux v2.8.8)", () => {
  const repo = (components: string) => ({
    ...bootstrap('prod'),
    'clusters/prod/flux-system/gotk-components.yaml': components,
    'clusters/prod/flux-system/kustomization.yaml': kustomization('resources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n'),
    'clusters/prod/apps.yaml': fluxKustomization('apps', './apps', '  postBuild:\n    substitute:\n      ENVIRONMENT: prod\n'),
    'apps/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\ndata:\n  environment: ${ENVIRONMENT}\n  cron: ${ACTIVE_CRON_CLUSTER}\n',
  });
  const namespaceDoc = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n';
  const controller = (args: string) => `---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\n  namespace: flux-system\nspec:\n  selector:\n    matchLabels:\n      app: kustomize-controller\n  template:\n    metadata:\n      labels:\n        app: kustomize-controller\n    spec:\n      containers:\n        - name: manager\n          image: ghcr.io/fluxcd/kustomize-controller:v1.8.3\n          args:\n            - ${args}\n`;
  const unset = (r: Report) => r.findings.filter((f) => f.message.includes('${ACTIVE_CRON_CLUSTER} has no value')).map((f) => `${f.severity}: ${f.message.replace(/^.*and no default: /, '')}`);

  it('stops Flux 2.9 and later (StrictPostBuildSubstitutions on by default from kustomize-controller v1.9.0): an error', async () => {
    expect(unset(await check(repo(`# Flux Version: v2.9.4\n${namespaceDoc}`)))).toEqual(['error: Flux stops with "variable not set" (strict, the default since Flux 2.9) or puts an empty string there']);
    expect(unset(await check(repo(namespaceDoc)))).toHaveLength(1);
  });

  it('is an empty string to an older Flux, or with the gate off: a warning', async () => {
    expect(unset(await check(repo(`# This manifest was generated by flux. DO NOT EDIT.\n# Flux Version: v2.8.8\n${namespaceDoc}`)))).toEqual([
      'warning: the cluster runs Flux v2.8.8 (clusters/prod/flux-system/gotk-components.yaml), which puts an empty string there (strict substitution, which stops instead, is the default from Flux 2.9 on)',
    ]);
    expect(unset(await check(repo(`${namespaceDoc}${controller('--feature-gates=StrictPostBuildSubstitutions=false')}`)))).toEqual(['warning: kustomize-controller runs with StrictPostBuildSubstitutions=false here, so Flux puts an empty string there']);
    // Where a kubectl build no longer says which file an object came from, flux install's labels still say the version.
    const labelled = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n  labels:\n    app.kubernetes.io/part-of: flux\n    app.kubernetes.io/version: v2.8.8\n';
    expect(unset(await check(repo(labelled)))[0]).toMatch(/^warning: the cluster runs Flux v2\.8\.8 \(/);
    // The gate set on by an older Flux: strict.
    expect(unset(await check(repo(`# Flux Version: v2.8.8\n${namespaceDoc}${controller('--feature-gates=StrictPostBuildSubstitutions=true')}`)))[0]).toMatch(/^error: /);
  });
});

describe("the regression run's findings on the first version of these fixes (88 earlier repositories and these 23)", () => {
  const app = (source: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://github.com/example/repo.git\n    path: apps/web-missing\n    targetRevision: main\n${source}  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n`;
  const MISSING = 'argocd/app.yaml: Application web: source path apps/web-missing does not exist';
  const own = { repositoryUrls: ['https://github.com/example/repo.git'] };

  it('a Helm action in a comment, a quoted string or a block scalar does not make a file a Helm template (stuttgart-things, small-hack)', async () => {
    expect(errors(await check({ 'argocd/app.yaml': app('    # the chart guards its Secret with `{{ if not .Values.api.secret.name }}`\n') }, own))).toEqual([MISSING]);
    expect(errors(await check({ 'argocd/app.yaml': app('    helm:\n      values: |\n        host: "{{ .Release.Name }}.example.org"\n        {{- include "extra" . }}\n') }, own))).toEqual([MISSING]);
    expect(errors(await check({ 'argocd/app.yaml': app("    helm:\n      parameters:\n        - name: fullname\n          value: '{{ .Release.Name }}'\n") }, own))).toEqual([MISSING]);
  });

  it('`sources: []` beside `source` is the one source (argo-cd HasMultipleSources: len(Sources) > 0)', async () => {
    expect(errors(await check({ 'argocd/app.yaml': app('  sources: []\n') }, own))).toEqual([MISSING]);
  });

  it("a release whose targetNamespace is its own namespace cannot be applied before that exists: Helm never creates it", async () => {
    const report = await check({
      ...bootstrap('c'),
      'clusters/c/apps.yaml': fluxKustomization('apps', './apps/podinfo'),
      'apps/podinfo/release.yaml': `${helmRepository('podinfo', 'https://stefanprodan.github.io/podinfo')}---\n${helmRelease('podinfo', 'podinfo', 'podinfo', '6.7.1', 'podinfo', '  targetNamespace: podinfo\n  install:\n    createNamespace: true\n')}`,
    });
    expect(errors(report)).toEqual(['apps/podinfo/release.yaml: namespace podinfo is never created on cluster c']);
  });
});
