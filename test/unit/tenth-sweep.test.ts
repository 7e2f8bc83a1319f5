/**
 * What the tenth sweep of public repositories showed validate (2026-12-07: akuity/sedemo-platform,
 * d4rkfella/home-ops, jomcgi/homelab, duynhlab/homelab, Apocrathia/homelab, sholdee/home-ops,
 * deedee-ops/home-ops, soulwhisper/home-ops, vrozaksen/home-ops, tscibilia/home-ops, St0rmingBr4in and others):
 * each false error (and one crash) as the smallest repository that shows it, checked against upstream, with
 * the true error beside it.
 */
import { describe, expect, it } from 'vitest';
import { buildKustomization } from '../../lib/validate/build.js';
import { HAS_SHARED, needsShared } from '../shared.js';
import { bootstrap, check, configMap, errors, filesOf, fluxKustomization, helmRelease, helmRepository, kustomization, namespace } from '../validate-fixtures.js';

const REPO = 'https://github.com/example/platform.git';
const own = { repositoryUrls: [REPO] };
const application = (name: string, path: string, extra = '', destination = '    server: https://kubernetes.default.svc\n') =>
  `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: ${REPO}\n    targetRevision: HEAD\n    path: ${path}\n${extra}  destination:\n${destination}`;

describe('namespaces operators make', () => {
  it("a Kargo Project's, named as the Project (akuity/kargo projects.go ensureNamespace; akuity/sedemo-platform: 208 errors)", async () => {
    const project = 'apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata:\n  name: demo\n  annotations:\n    argocd.argoproj.io/sync-wave: "-1"\n';
    const warehouse = (ns: string) => `apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata:\n  name: demo\n  namespace: ${ns}\nspec:\n  subscriptions:\n    - image:\n        repoURL: ghcr.io/example/demo\n`;
    const repo = (ns: string) => ({ 'argocd/kargo-demo.yaml': application('kargo-demo', 'kargo'), 'kargo/project.yaml': `${project}---\n${warehouse(ns)}` });
    expect(errors(await check(repo('demo'), own))).toEqual([]);
    expect(errors(await check(repo('other'), own))).toEqual(['kargo/project.yaml: namespace other is never created on cluster argocd']);
  });
});

describe('which directories are clusters', () => {
  it('not one that a Kustomization of another repository syncs (d4rkfella: keycloak-operator syncs ./kubernetes of the vendor\'s repository: 220 errors)', async () => {
    const vendor = `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: keycloak-k8s-resources\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://github.com/keycloak/keycloak-k8s-resources\n  ref:\n    tag: 26.4.0\n---\n${fluxKustomization('keycloak-operator', './kubernetes', '  targetNamespace: keycloak\n').replace('name: flux-system\n', 'name: keycloak-k8s-resources\n')}`;
    const repo = {
      'kubernetes/flux/cluster/flux-system/gotk-sync.yaml': bootstrap('x')['clusters/x/flux-system/gotk-sync.yaml'].replace('./clusters/x', './kubernetes/flux/cluster'),
      'kubernetes/flux/cluster/flux-system/kustomization.yaml': kustomization('resources:\n  - gotk-sync.yaml\n'),
      'kubernetes/flux/cluster/apps.yaml': fluxKustomization('cluster-apps', './kubernetes/apps'),
      'kubernetes/apps/kustomization.yaml': kustomization('resources:\n  - keycloak/ks.yaml\n'),
      'kubernetes/apps/keycloak/ks.yaml': vendor,
      'kubernetes/components/ns/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - namespace.yaml\n',
      'kubernetes/components/ns/namespace.yaml': namespace('${APP}'),
    };
    // A GitRepository of a mirror of this repository (its name kept) is this repository's own.
    const mirror = (url: string) => check({ 'platform/sync.yaml': vendor.replace('https://github.com/keycloak/keycloak-k8s-resources', url).replace('./kubernetes', './platform'), 'platform/settings.yaml': configMap('settings', 'keycloak') }, { repositoryUrls: ['https://github.com/example/fleet.git'] });
    expect((await mirror('https://gitlab.example.nl/mirror/fleet')).clusters.map((c) => `${c.name}: ${c.how}`)).toEqual(['platform: Flux Kustomization keycloak-operator in platform/sync.yaml syncs it']);
    for (const options of [{ repositoryUrls: ['https://github.com/example/fleet.git'] }, {}]) {
      const report = await check(repo, options);
      expect(report.clusters.map((c) => c.name)).toEqual(['kubernetes/flux/cluster']);
      expect(errors(report)).toEqual([]);
    }
    // Nothing of the other repository is checked, and that is said.
    expect((await check(repo)).notes.join('\n')).toContain('Kustomization keycloak-operator applies GitRepository flux-system/keycloak-k8s-resources, which is not this repository: not checked offline');
  });

  it('not test data (jomcgi: a linter\'s fixtures hold broken Applications on purpose: 170 errors)', async () => {
    const report = await check({ ...bootstrap('prod'), 'tools/semgrep/tests/fixtures/retry.yaml': application('broken', 'nowhere', '    retry: {}\n'), 'clusters/prod/settings.yaml': configMap('settings', 'flux-system') }, own);
    expect(report.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(errors(report)).toEqual([]);
    expect(report.notes).toContain("tools/semgrep/tests/fixtures/retry.yaml: in fixtures/, test data: taken for a test's input, which nothing applies: not checked");
  });

  it("a FluxInstance's OCI sync is the directory whose build takes it in, not the repository's root (duynhlab: 32 errors)", async () => {
    const instance = 'apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  distribution:\n    version: "2.x"\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: OCIRepository\n    url: oci://registry.example.nl/flux-cluster-sync\n    ref: local\n    path: "./"\n';
    const repo = {
      'kubernetes/clusters/local/flux-system/instance.yaml': instance,
      'kubernetes/clusters/local/flux-system/kustomization.yaml': kustomization('resources:\n  - instance.yaml\n'),
      'kubernetes/clusters/local/kustomization.yaml': kustomization('resources:\n  - flux-system/\n  - settings.yaml\n'),
      'kubernetes/clusters/local/settings.yaml': configMap('settings', 'flux-system'),
      'local-stack/compose.yaml': 'services:\n  db:\n    image: postgres:17\n',
    };
    const report = await check(repo);
    expect(report.clusters.map((c) => c.name)).toEqual(['kubernetes/clusters/local']);
    expect(errors(report)).toEqual([]);
    // Pushed from the repository's root, the path says so (tyriis: `path: ./devenv/oci/flux`, the instance's own
    // app directory taking it in): found from the nearest directory the path leads from.
    const fromRoot = await check({
      'devenv/apps/flux-instance/app/kustomization.yaml': kustomization('resources:\n  - ./flux-instance.yaml\n'),
      'devenv/apps/flux-instance/app/flux-instance.yaml': instance.replace('path: "./"', 'path: ./devenv/flux'),
      'devenv/flux/kustomization.yaml': kustomization('resources:\n  - ./settings.yaml\n'),
      'devenv/flux/settings.yaml': configMap('settings', 'flux-system'),
    });
    expect(fromRoot.clusters.map((c) => c.name)).toEqual(['devenv/flux']);
    expect(errors(fromRoot)).toEqual([]);
    // Pushed from a directory nothing here builds it in: not followed, and said.
    const alone = await check({ 'flux/instance.yaml': instance, 'apps/settings.yaml': configMap('settings', 'flux-system') });
    expect(alone.notes).toContain('flux/instance.yaml: FluxInstance flux syncs an OCI artifact, pushed from a directory the repository does not say: not followed');
  });

  it("a Kustomization syncing the directory around it is part of the cluster whose root applies it (Apocrathia: 9 errors)", async () => {
    const sync = (name: string, source: string, path: string) => `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: ${source}\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: https://github.com/example/fleet\n---\n${fluxKustomization(name, path).replace('name: flux-system\n', `name: ${source}\n`)}`;
    const report = await check({
      'flux/manifests/01-bootstrap/flux-system/gotk-sync.yaml': sync('flux-system', 'flux-system', './flux/manifests/01-bootstrap'),
      'flux/manifests/01-bootstrap/flux-system/manifests.yaml': sync('manifests', 'homelab', './flux/manifests'),
      'flux/manifests/01-bootstrap/flux-system/kustomization.yaml': kustomization('resources:\n  - gotk-sync.yaml\n  - manifests.yaml\n'),
      'flux/manifests/01-bootstrap/kustomization.yaml': kustomization('resources:\n  - flux-system\n'),
      'flux/manifests/kustomization.yaml': kustomization('resources:\n  - demo.yaml\n'),
      'flux/manifests/demo.yaml': fluxKustomization('infrastructure-demo', './flux/apps/demo', '  dependsOn:\n    - name: flux-system\n').replace('name: flux-system\n\n', '').replace('    name: flux-system\n  dependsOn', '    name: homelab\n  dependsOn'),
      'flux/apps/demo/configmap.yaml': configMap('demo', 'default'),
    });
    expect(report.clusters.map((c) => c.name)).toEqual(['flux/manifests/01-bootstrap']);
    expect(errors(report)).toEqual([]);
    expect(report.notes).toContain("flux/manifests/01-bootstrap/flux-system/manifests.yaml: Flux Kustomization manifests syncs flux/manifests, and a cluster's root already applies it: part of that cluster, not one of its own");
  });

  it("the flux-instance chart's release as the Kustomization that applies it makes it: variables substituted, in its targetNamespace (deedee-ops, soulwhisper)", async () => {
    const release = (path: string) =>
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: flux-instance\nspec:\n  interval: 1h\n  layerSelector:\n    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n  ref:\n    tag: 0.49.0\n  url: oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux-instance\nspec:\n  interval: 1h\n  chartRef:\n    kind: OCIRepository\n    name: flux-instance\n  values:\n    instance:\n      distribution:\n        version: 2.x\n        registry: ghcr.io/fluxcd\n      sync:\n        kind: GitRepository\n        url: https://github.com/example/fleet\n        ref: refs/heads/main\n        path: "${path}"\n`;
    const variables = await check({
      'apps/flux-instance/release.yaml': release('clusters/${CLUSTER}/bootstrap'),
      'clusters/prod/apps/flux-instance.yaml': fluxKustomization('flux-instance', './apps/flux-instance', '  targetNamespace: flux-system\n  postBuild:\n    substitute:\n      CLUSTER: prod\n'),
      'clusters/prod/bootstrap/cluster-apps.yaml': fluxKustomization('cluster-apps', './clusters/prod/apps'),
    });
    expect(variables.clusters.map((c) => c.name)).toEqual(['prod/bootstrap']);
    expect(errors(variables)).toEqual([]);
    const elsewhere = await check({
      'kubernetes/apps/gitops-system/flux-instance/app/release.yaml': release('kubernetes/flux/cluster'),
      'kubernetes/apps/gitops-system/flux-instance/app/kustomization.yaml': kustomization('resources:\n  - release.yaml\n'),
      'kubernetes/apps/gitops-system/flux-instance/ks.yaml': fluxKustomization('flux-instance', './kubernetes/apps/gitops-system/flux-instance/app', '  targetNamespace: gitops-system\n').replaceAll('namespace: flux-system', 'namespace: gitops-system').replace('name: flux-system\n', 'name: gitops-system\n'),
      'kubernetes/apps/kustomization.yaml': kustomization('resources:\n  - gitops-system/flux-instance/ks.yaml\n  - demo.yaml\n'),
      'kubernetes/apps/demo.yaml': configMap('demo', 'gitops-system'),
      'kubernetes/flux/cluster/cluster.yaml': fluxKustomization('cluster-apps', './kubernetes/apps').replaceAll('flux-system', 'gitops-system'),
    });
    expect(elsewhere.clusters.map((c) => c.name)).toEqual(['kubernetes/flux/cluster']);
    expect(errors(elsewhere)).toEqual([]);
  });
});

describe('Argo CD', () => {
  const project = (sourceRepos: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: k3s\n  namespace: argocd\nspec:\n  destinations:\n    - namespace: "*"\n      server: https://kubernetes.default.svc\n  clusterResourceWhitelist:\n    - group: "*"\n      kind: "*"\n  sourceRepos:\n    - ${sourceRepos}\n`;
  const repositorySecret = (scope: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: cilium\n  namespace: argocd\n  labels:\n    argocd.argoproj.io/secret-type: repository\nstringData:\n  name: cilium\n${scope}  type: helm\n  url: https://helm.cilium.io/\n`;
  const cilium = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: cilium\n  namespace: argocd\nspec:\n  project: k3s\n  source:\n    repoURL: https://helm.cilium.io/\n    chart: cilium\n    targetRevision: 1.16.5\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: kube-system\n';

  it("a repository scoped to the project by its Secret is one of the project's sources (argo-cd util/argo/argo.go GetAppProjectByName; sholdee: 9 errors)", async () => {
    const repo = (scope: string) => ({ 'argocd/project.yaml': `${project(REPO)}---\n${repositorySecret(scope)}---\n${cilium}` });
    expect(errors(await check(repo('  project: k3s\n'), own))).toEqual([]);
    expect(errors(await check(repo(''), own))).toEqual(['argocd/project.yaml: source https://helm.cilium.io/ is not in the sourceRepos of project k3s']);
  });

  it("an ApplicationSet beside the kustomization it leaves out, syncing that directory, applies it (St0rmingBr4in: 56 errors)", async () => {
    const appset = `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: ats-website\n  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n          - name: ats-website\n            namespace: prod-ats\n            manifestPath: apps/ats-website\n  template:\n    metadata:\n      name: "{{name}}"\n      namespace: argocd\n    spec:\n      project: default\n      source:\n        repoURL: ${REPO}\n        targetRevision: HEAD\n        path: "{{manifestPath}}"\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: "{{namespace}}"\n      syncPolicy:\n        syncOptions:\n          - CreateNamespace=true\n`;
    const repo = { 'apps/ats-website/applicationset.yaml': appset, 'apps/ats-website/kustomization.yaml': kustomization('resources:\n  - settings.yaml\n'), 'apps/ats-website/settings.yaml': configMap('settings', 'prod-ats') };
    expect(errors(await check(repo, own))).toEqual([]);
    // A namespace the Application does not create is still missing.
    expect(errors(await check({ ...repo, 'apps/ats-website/settings.yaml': configMap('settings', 'prod-other') }, own))).toEqual(['apps/ats-website/settings.yaml: namespace prod-other is never created on cluster apps/ats-website']);
  });

  it('an object written with `annotations:` left empty, applied twice, is the duplicate it is (St0rmingBr4in: a crash)', async () => {
    const pv = 'apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  annotations:\n  name: demo-pv\nspec:\n  accessModes:\n    - ReadWriteOnce\n  capacity:\n    storage: 1Gi\n  hostPath:\n    path: /data/demo\n';
    const destination = '    server: https://kubernetes.default.svc\n    namespace: default\n';
    const report = await check({ 'argocd/a.yaml': application('app-a', 'shared', '', destination), 'argocd/b.yaml': application('app-b', 'shared', '', destination), 'shared/pv.yaml': pv }, own);
    expect(errors(report)).toEqual(['shared/pv.yaml: PersistentVolume demo-pv is also applied by app-a (shared/pv.yaml), not only by app-b']);
  });
});

describe('kustomize and charts', () => {
  it('a Flux path to a kustomize Component builds, as kustomize-controller builds it; taken in under resources:, kustomize refuses it (tscibilia: 2 errors)', async () => {
    const component = { 'apps/demo/app/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - configmap.yaml\n', 'apps/demo/app/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  a: b\n' };
    const report = await check({ ...bootstrap('prod'), 'clusters/prod/demo.yaml': fluxKustomization('demo', './apps/demo/app', '  targetNamespace: default\n'), ...component });
    expect(errors(report)).toEqual([]);
    const taken = buildKustomization(filesOf({ ...component, 'apps/demo/prod/kustomization.yaml': kustomization('resources:\n  - ../app\n') }), 'apps/demo/prod');
    expect(taken.errors).toEqual([{ file: 'apps/demo/prod/kustomization.yaml', message: 'resources: apps/demo/app is a kustomize Component: list it under components:, as kustomize does not take it in as a resource' }]);
  });

  it("values under a subchart's name are the subchart's (falco 9.1.0 Chart.yaml: falcosidekick; vrozaksen: 3 errors)", async () => {
    const falco = (values: string) => ({ ...bootstrap('prod'), 'clusters/prod/falco.yaml': `${helmRepository('falcosecurity', 'https://falcosecurity.github.io/charts')}---\n${helmRelease('falco', 'flux-system', 'falco', '9.1.0', 'falcosecurity', `  values:\n${values}`)}` });
    const valueErrors = async (values: string) => errors(await check(falco(values))).filter((e) => e.includes('values'));
    expect(await valueErrors('    falcosidekick:\n      enabled: true\n      replicaCount: 1\n      webui:\n        enabled: true\n')).toEqual([]);
    expect(await valueErrors('    falcosidekik:\n      enabled: true\n')).toEqual(['clusters/prod/falco.yaml: values /falcosidekik: falco 9.1.0 has no such value (not in its default values.yaml)']);
  });
});

// Versions the catalog does not pin: their facts are in templates/values-facts, the chart data in ../shared only.
describe.skipIf(!HAS_SHARED)(needsShared('values a chart reads that its values.yaml does not declare'), () => {
  const release = (chart: string, version: string, url: string, values: string) => ({
    ...bootstrap('prod'),
    'clusters/prod/release.yaml': `${helmRepository('charts', url)}---\n${helmRelease(chart, 'flux-system', chart, version, 'charts', `  values:\n${values}`)}`,
  });
  const valueErrors = async (entries: Record<string, string>) => errors(await check(entries)).filter((e) => e.includes('values'));

  it("what grafana/loki 7.3.0's loki.config copies into Loki's configuration whole (d4rkfella: 4 errors); a misspelt map still is one", async () => {
    const loki = (values: string) => release('loki', '7.3.0', 'https://grafana.github.io/helm-charts', values);
    expect(await valueErrors(loki('    loki:\n      limits_config:\n        retention_period: 30d\n        ingestion_rate_mb: 8\n      server:\n        log_level: warn\n'))).toEqual([]);
    expect(await valueErrors(loki('    loki:\n      limit_config:\n        retention_period: 30d\n'))).toEqual(['clusters/prod/release.yaml: values /loki/limit_config: loki 7.3.0 has no such value (not in its default values.yaml nor its values.schema.json)']);
  });

  it("kube-prometheus-stack 88.5.3's kubelet ServiceMonitor scrapeTimeout (templates/exporters/kubelet/servicemonitor.yaml; d4rkfella: 1 error)", async () => {
    const stack = (values: string) => release('kube-prometheus-stack', '88.5.3', 'https://prometheus-community.github.io/helm-charts', values);
    expect(await valueErrors(stack('    kubelet:\n      serviceMonitor:\n        scrapeTimeout: 10s\n'))).toEqual([]);
    expect(await valueErrors(stack('    kubelet:\n      serviceMonitor:\n        scrapeTimout: 10s\n'))).toEqual(['clusters/prod/release.yaml: values /kubelet/serviceMonitor/scrapeTimout: kube-prometheus-stack 88.5.3 has no such value (not in its default values.yaml)']);
  });
});

describe('the secret scan', () => {
  const settings = (data: string) => ({ ...bootstrap('prod'), 'clusters/prod/settings.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: honcho\n  namespace: flux-system\ndata:\n${data}` });
  const secretErrors = async (entries: Record<string, string>) => errors(await check(entries)).filter((e) => e.includes('literal') || e.includes('holds'));

  it('a word that says there is none (`OPENAI_API_KEY: dummy` for a local proxy; deedee-ops, vrozaksen, arcane: 6 errors); a word that could be one still is', async () => {
    expect(await secretErrors(settings('  OPENAI_API_KEY: dummy\n  EMBEDDING_API_KEY: "unused"\n  BEARER_TOKEN: not-needed\n'))).toEqual([]);
    expect(await secretErrors(settings('  OPENAI_API_KEY: hunter2\n'))).toEqual(['clusters/prod/settings.yaml: line 7: OPENAI_API_KEY has a literal value; reference a Secret instead']);
  });

  it("a key name beside the Secret it is a key of (kagent's `apiKeySecretKey` beside `apiKeySecret`; Apocrathia: 6 errors)", async () => {
    const model = (secretLine: string) => ({ ...bootstrap('prod'), 'clusters/prod/model.yaml': `apiVersion: kagent.dev/v1alpha2\nkind: ModelConfig\nmetadata:\n  name: git-agent-model\n  namespace: flux-system\nspec:\n  provider: OpenAI\n  model: qwen3\n${secretLine}  apiKeySecretKey: litellm-api-key\n` });
    expect(await secretErrors(model('  apiKeySecret: git-agent-secrets\n'))).toEqual([]);
    expect(await secretErrors(model(''))).toEqual(['clusters/prod/model.yaml: line 9: apiKeySecretKey has a literal value; reference a Secret instead']);
  });

  it('an ExternalSecret written as JSON names keys only (d4rkfella: `secretKey: "password"`); a Secret so written is still scanned', async () => {
    const external = '---\n{\n  apiVersion: "external-secrets.io/v1",\n  kind: "ExternalSecret",\n  metadata: { name: "db", namespace: "flux-system" },\n  spec: {\n    secretStoreRef: { kind: "ClusterSecretStore", name: "vault" },\n    data: [{\n      secretKey: "password",\n      remoteRef: { key: "kv/db", property: "PASSWORD" },\n    }],\n  },\n}\n';
    expect(await secretErrors({ ...bootstrap('prod'), 'clusters/prod/db.yaml': external })).toEqual([]);
    const config = '---\n{\n  apiVersion: "v1",\n  kind: "ConfigMap",\n  metadata: { name: "db", namespace: "flux-system" },\n  data: {\n    secretKey: "k8Jd9sLq2x",\n  },\n}\n';
    expect(await secretErrors({ ...bootstrap('prod'), 'clusters/prod/db.yaml': config })).toEqual(['clusters/prod/db.yaml: line 7: secretKey has a literal value; reference a Secret instead']);
  });

  it("Python's `os.environ['X']` in a config file is code, not a literal (vrozaksen)", async () => {
    const config = (line: string) => settings(`  settings.py: |\n    OAUTH = {\n        'OAUTH2_CLIENT_ID': os.environ['OAUTH2_CLIENT_ID'],\n        ${line}\n    }\n`);
    expect(await secretErrors(config("'OAUTH2_CLIENT_SECRET': os.environ['OAUTH2_CLIENT_SECRET'],"))).toEqual([]);
    expect(await secretErrors(config("'OAUTH2_CLIENT_SECRET': 'k8Jd9sLq2',"))).toHaveLength(1);
  });
});

describe("kustomize's builtin transformers, which kubectl runs (d4rkfella: a NamespaceTransformer per app, 27 namespaces named \".invalid\" as built without it)", () => {
  it('built by kubectl where every config is a builtin kind reading nothing outside the repository', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { dirname, join } = await import('node:path');
    const { validateDirectory } = await import('../../lib/validate/directory.js');
    const { tempDir } = await import('../helpers.js');
    const root = tempDir('hp-transformers-');
    const files: Record<string, string> = {
      ...bootstrap('prod'),
      'clusters/prod/apps.yaml': fluxKustomization('apps', './apps/arc-system'),
      'transformers/kustomization.yaml': kustomization('resources:\n  - transformer.yaml\n'),
      // JSON, as d4rkfella writes its files.
      'transformers/transformer.yaml': '{\n  apiVersion: "builtin",\n  kind: "NamespaceTransformer",\n  metadata: { name: "apply-ns", namespace: ".invalid" },\n  unsetOnly: false,\n  fieldSpecs: [{ path: "metadata/name", kind: "Namespace", create: true }, { path: "metadata/namespace", create: true }],\n}\n',
      'apps/arc-system/transformers/kustomization.yaml': kustomization('namespace: arc-system\nresources:\n  - ../../../transformers\n'),
      'apps/arc-system/namespace.yaml': '{\n  apiVersion: "v1",\n  kind: "Namespace",\n  metadata: { name: ".invalid" },\n}\n',
      'apps/arc-system/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n',
      'apps/arc-system/kustomization.yaml': kustomization('resources:\n  - ./namespace.yaml\n  - ./settings.yaml\ntransformers:\n  - ./transformers\n'),
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const report = await validateDirectory(root, {});
    expect(report.kubectlBuilt).toContain('apps/arc-system');
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`)).toEqual([]);
  });
});
