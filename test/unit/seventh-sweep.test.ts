/**
 * What the seventh sweep of public repositories showed validate (2026-12-07: zhorvath83, damacus,
 * rcdailey, webgrip, swibrow, iamenr0s, ukyi-app and edgard home-ops/homelab repositories): each false
 * error's cause, checked against upstream, as the smallest repository that shows it, with the true error
 * beside it.
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
const warnings = (r: Awaited<ReturnType<typeof check>>) => r.findings.filter((f) => f.severity === 'warning').map((f) => `${f.file}: ${f.message}`);
const kustomization = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
const fluxRoot = 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
const namespace = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n';
/** A Flux cluster applying apps/, whose kustomization takes in demo/ with these files. */
const fluxApp = (files: Record<string, string>) => ({
  'clusters/prod/apps.yaml': fluxRoot,
  'apps/kustomization.yaml': kustomization('resources:\n  - ./demo\n'),
  'apps/demo/kustomization.yaml': kustomization(`resources:\n${['namespace.yaml', ...Object.keys(files)].map((f) => `  - ./${f}\n`).join('')}`),
  'apps/demo/namespace.yaml': namespace,
  ...Object.fromEntries(Object.entries(files).map(([f, t]) => [`apps/demo/${f}`, t])),
});

describe('the secret scan: what is no literal credential (zhorvath83, webgrip, rcdailey, iamenr0s)', () => {
  it('cookie names with a Flux variable, a SecretKeySelector as a flow mapping, a Secret\'s key-name map, token lifetimes and JavaScript in a block scalar', async () => {
    const report = await check(
      fluxApp({
        'policy.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: policy\n  namespace: demo\ndata:\n  policy.yaml: |\n    oidc:\n      cookieNames:\n        idToken: ${APP}-id-token\n        accessToken: ${APP}-access-token\n',
        'scrape.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scrape\n  namespace: demo\ndata:\n  scrape.yaml: |\n    basicAuth:\n      username: {name: metrics, key: username}\n      password: {name: metrics, key: password}\n',
        'client.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: client\n  namespace: demo\ndata:\n  client.yaml: |\n    secret:\n      name: forgejo-oidc\n      keys:\n        clientID: client_id\n        clientSecret: secret\n',
        'lifespans.yaml': "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lifespans\n  namespace: demo\ndata:\n  lifespans.yaml: |\n    lifespans:\n      access_token: '1 hour'\n      refresh_token: '1 hour and 30 minutes'\n      id_token: 1h30m\n",
        'script.yaml': "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\n  namespace: demo\ndata:\n  make-config.js: |\n    const token = process.env.GITHUB_TOKEN;\n    const rules = [{ username: 'x-access-token',\n      password: token,\n      apiToken: process.env.API_TOKEN;\n    }];\n",
      }),
    );
    expect(errors(report)).toEqual([]);
  });

  it('still catches the literal beside each: a quoted value in JSON, a token that is no duration, a key-name map outside a Secret', async () => {
    const report = await check(
      fluxApp({
        'literal.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: literal\n  namespace: demo\ndata:\n  config.json: |\n    {\n      "password": "hunter2x",\n    }\n  app.yaml: |\n    lifespans:\n      access_token: 1hourtoken\n    keys:\n      clientSecret: s3cr3tvalue\n',
      }),
    );
    expect(errors(report).sort()).toEqual([
      'apps/demo/literal.yaml: line 13: access_token has a literal value; reference a Secret instead',
      'apps/demo/literal.yaml: line 15: clientSecret has a literal value; reference a Secret instead',
      'apps/demo/literal.yaml: line 9: password has a literal value; reference a Secret instead',
    ]);
  });

  it('a Secret without a credential: an Argo CD cluster Secret with name, server and a TLS config; an image reference (plugin-barman-cloud\'s SIDECAR_IMAGE)', async () => {
    const cluster = (config: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: in-cluster\n  namespace: demo\n  labels:\n    argocd.argoproj.io/secret-type: cluster\ntype: Opaque\nstringData:\n  name: in-cluster\n  server: https://kubernetes.default.svc\n  config: |\n    ${config}\n`;
    // Its base64 across two lines of a block scalar, as a vendored release manifest has it (Go's decoder skips line breaks).
    const image = Buffer.from('ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.13.0').toString('base64');
    const sidecar = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: plugin-barman-cloud\n  namespace: demo\ntype: Opaque\ndata:\n  SIDECAR_IMAGE: |\n    ${image.slice(0, 70)}\n    ${image.slice(70)}\n`;
    expect(errors(await check(fluxApp({ 'cluster.yaml': cluster('{"tlsClientConfig": {"insecure": false}}'), 'sidecar.yaml': sidecar })))).toEqual([]);
    // A bearer token in the config, or a value that is no image, is a credential in the clear.
    const leaked = await check(fluxApp({ 'cluster.yaml': cluster('{"bearerToken": "eyJhbGciOi"}'), 'sidecar.yaml': sidecar.replace(/SIDECAR_IMAGE: [\s\S]*$/, `PASSWORD: ${Buffer.from('hunter2').toString('base64')}\n`) }));
    expect(errors(leaked)).toEqual([
      'apps/demo/cluster.yaml: Secret holds plaintext values (config): encrypt it (SOPS) or seal it',
      'apps/demo/sidecar.yaml: line 8: PASSWORD has a literal value; reference a Secret instead',
      'apps/demo/sidecar.yaml: Secret holds plaintext values (PASSWORD): encrypt it (SOPS) or seal it',
    ]);
  });
});

describe('builds the offline builder cannot finish (swibrow, damacus)', () => {
  // helmCharts keeps kubectl from building (helm would reach the network): the offline builder runs without
  // configMapGenerator and replacements, so a shared component's placeholder name is never replaced.
  const app = (name: string) =>
    kustomization(`namespace: media\nhelmCharts:\n  - name: app-template\n    repo: https://bjw-s-labs.github.io/helm-charts\n    version: 4.4.0\n    releaseName: ${name}\nconfigMapGenerator:\n  - name: ${name}-pvc\n    literals:\n      - APP=${name}\ncomponents:\n  - ../../components/pvc\nreplacements:\n  - source:\n      kind: ConfigMap\n      name: ${name}-pvc\n      fieldPath: data.APP\n    targets:\n      - select:\n          kind: PersistentVolumeClaim\n        fieldPaths:\n          - metadata.name\n`);
  const argoApp = (name: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: main\n    path: apps/${name}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: media\n  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n`;
  it('the same placeholder name from two such builds is a warning that says why, not "applied twice"', async () => {
    const report = await check({
      'argocd/app-a.yaml': argoApp('app-a'),
      'argocd/app-b.yaml': argoApp('app-b'),
      'apps/app-a/kustomization.yaml': app('app-a'),
      'apps/app-b/kustomization.yaml': app('app-b'),
      'components/pvc/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./pvc.yaml\n',
      'components/pvc/pvc.yaml': 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: app\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n',
    });
    expect(errors(report)).toEqual([]);
    expect(warnings(report).filter((w) => w.includes('also applied'))).toEqual([
      'components/pvc/pvc.yaml: PersistentVolumeClaim media/app is also applied by app-a (components/pvc/pvc.yaml), as built offline: app-a was built without replacements, which the offline builder does not implement and which may rename it',
    ]);
  });

  const release = 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: demo\n  namespace: demo\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: podinfo\n      version: 6.7.1\n      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n  valuesFrom:\n    - kind: ConfigMap\n      name: demo-values\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: podinfo\n  namespace: demo\nspec:\n  interval: 1h\n  url: https://stefanprodan.github.io/podinfo\n';
  const generated = (resources: string, comment = '') =>
    ({
      'clusters/prod/apps.yaml': fluxRoot,
      'apps/kustomization.yaml': kustomization(`${comment}resources:\n  - ./namespace.yaml\n  - ./release.yaml\n${resources}configMapGenerator:\n  - name: demo-values\n    namespace: demo\n    files:\n      - values.yaml=config/values.yaml\ngeneratorOptions:\n  disableNameSuffixHash: true\n`),
      'apps/namespace.yaml': namespace,
      'apps/release.yaml': release,
      'apps/config/values.yaml': 'replicaCount: 2\n',
    });
  it('a non-ASCII character in a comment no longer keeps kubectl from building the kustomization (its configMapGenerator makes the ConfigMap)', async () => {
    const report = await check(generated('', '# values → ConfigMap\n'));
    expect(errors(report)).toEqual([]);
    expect(report.notes.join('\n')).not.toContain('not built by kubectl');
  });
  it('a remote resource keeps kubectl from building: a reference to what the missing generator makes is a warning', async () => {
    const report = await check(generated('  - https://github.com/rancher/system-upgrade-controller/releases/download/v0.20.1/crd.yaml\n'));
    expect(errors(report)).toEqual([]);
    expect(warnings(report)).toContain('apps/release.yaml: valuesFrom ConfigMap demo/demo-values does not exist as built offline; apps was built without configMapGenerator, which the offline builder does not implement and which may make it');
    // What a configMapGenerator cannot make (a HelmRepository) is still missing: an error.
    const source = await check({ ...generated('  - https://github.com/rancher/system-upgrade-controller/releases/download/v0.20.1/crd.yaml\n'), 'apps/release.yaml': release.replace(/---\n[\s\S]*$/, '') });
    expect(errors(source)).toEqual(['apps/release.yaml: chart sourceRef HelmRepository/podinfo does not exist in namespace demo']);
  });
});

describe('what nothing applies, and what an Application applies itself (webgrip, iamenr0s)', () => {
  it('a Flux Kustomization in a directory its parent kustomization leaves out is no cluster of its own', async () => {
    const ks = 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: zomboid\nspec:\n  dependsOn:\n    - name: apps\n      namespace: flux-system\n  interval: 1h\n  path: ./apps/zomboid/zomboid/app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n  targetNamespace: zomboid\n';
    const report = await check({
      ...fluxApp({}),
      'apps/kustomization.yaml': kustomization('resources:\n  - ./demo\n  # ./zomboid is intentionally not wired here (disabled)\n'),
      'apps/zomboid/kustomization.yaml': kustomization('namespace: zomboid\nresources:\n  - ./namespace.yaml\n  - ./zomboid/ks.yaml\n'),
      'apps/zomboid/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: zomboid\n',
      'apps/zomboid/zomboid/ks.yaml': ks,
      'apps/zomboid/zomboid/app/kustomization.yaml': kustomization('resources:\n  - ./configmap.yaml\n'),
      'apps/zomboid/zomboid/app/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: zomboid-config\n  namespace: zomboid\n',
    });
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(report.notes.join('\n')).toContain('apps/zomboid/zomboid/ks.yaml: Flux Kustomization zomboid is left out by apps/kustomization.yaml, so nothing applies it: not checked');
  });

  it('an Application applied by hand whose own source is its directory applies that kustomization itself, after creating its namespace', async () => {
    const app = (createNamespace: boolean) =>
      `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: cert-manager\n  namespace: argocd\nspec:\n  project: default\n  sources:\n    - repoURL: https://charts.jetstack.io\n      chart: cert-manager\n      targetRevision: v1.21.1\n    - repoURL: https://github.com/example/gitops-argocd.git\n      path: cert-manager\n      targetRevision: main\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: cert-manager\n  syncPolicy:\n    automated:\n      prune: true\n${createNamespace ? '    syncOptions:\n      - CreateNamespace=true\n' : ''}`;
    const tree = (createNamespace: boolean) => ({
      'cert-manager/application.yml': app(createNamespace),
      'cert-manager/kustomization.yml': kustomization('namespace: cert-manager\nresources:\n  - acme-contact.yml\n'),
      'cert-manager/acme-contact.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: acme-contact\ndata:\n  email: admin@example.com\n',
    });
    expect(errors(await check(tree(true)))).toEqual([]);
    // Without CreateNamespace nothing creates it: the true error stays.
    expect(errors(await check(tree(false)))).toEqual(['cert-manager/acme-contact.yml: namespace cert-manager is never created on cluster cert-manager']);
  });
});

describe('ApplicationSets with {{if}} (mrpbennett)', () => {
  const set = (retention: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: rules\n  namespace: argocd\nspec:\n  goTemplate: true\n  generators:\n    - list:\n        elements:\n          - cluster: in-cluster\n  template:\n    metadata:\n      name: 'rules-{{.cluster}}'\n      namespace: argocd\n    spec:\n      project: default\n      source:\n        repoURL: https://github.com/example/repo.git\n        targetRevision: HEAD\n        path: rules\n        kustomize:\n          commonAnnotations:\n            retention: '${retention}'\n      destination:\n        name: '{{.cluster}}'\n        namespace: monitoring\n      syncPolicy:\n        automated: {}\n        syncOptions:\n          - CreateNamespace=true\n`;
  const tree = (retention: string) => ({
    'appsets/rules.yaml': set(retention),
    'rules/kustomization.yaml': kustomization('resources:\n  - ./configmap.yaml\n'),
    'rules/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rules\n  namespace: monitoring\n',
  });
  it('renders if/else, so the Application it makes creates its namespace', async () => {
    const report = await check(tree('{{ if .retention }}{{ .retention }}{{ else }}10d{{ end }}'));
    expect(errors(report)).toEqual([]);
    expect(report.notes.join('\n')).not.toContain('which the validator does not render');
  });
  it('a variable nothing declares is an error: Argo CD fails the ApplicationSet', async () => {
    expect(errors(await check(tree('{{ $labels.namespace }}')))).toEqual([
      'appsets/rules.yaml: for element 1: {{ $labels.namespace }}: undefined variable "$labels" (Go\'s template parser refuses it, so Argo CD fails the ApplicationSet)',
    ]);
  });
});

describe('chart values (edgard)', () => {
  const istiod = (values: string) =>
    `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: istio\n  namespace: demo\nspec:\n  interval: 1h\n  url: https://istio-release.storage.googleapis.com/charts\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: istiod\n  namespace: demo\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: istiod\n      version: 1.30.3\n      sourceRef:\n        kind: HelmRepository\n        name: istio\n  values:\n${values}`;
  it("istiod's values under pilot are its top-level values (zzy_descope_legacy.yaml), checked as such", async () => {
    expect(errors(await check(fluxApp({ 'istiod.yaml': istiod('    pilot:\n      autoscaleEnabled: false\n      replicaCount: 2\n') })))).toEqual([]);
    expect(errors(await check(fluxApp({ 'istiod.yaml': istiod('    pilot:\n      autoscaleEnabeld: false\n') })))).toEqual([
      'apps/demo/istiod.yaml: values /pilot/autoscaleEnabeld: istiod 1.30.3 has no such value (not in its default values.yaml)',
    ]);
  });
});

describe('what the regression run over 53 repositories showed', () => {
  it('a build missing only parts that cannot rename (commonLabels) keeps "applied twice" an error (geoffdavis)', async () => {
    const ks = (name: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/${name}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;
    const report = await check({
      'clusters/prod/apps.yaml': `${ks('a')}---\n${ks('b')}`,
      'apps/a/kustomization.yaml': kustomization('commonLabels:\n  team: data\nresources:\n  - ./namespace.yaml\n  - https://example.com/crds.yaml\n'),
      'apps/a/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cnpg-system\n',
      'apps/b/kustomization.yaml': kustomization('resources:\n  - ./namespace.yaml\n'),
      'apps/b/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cnpg-system\n',
    });
    expect(errors(report).filter((e) => e.includes('also applied'))).toHaveLength(1);
  });

  it('a Secret an ExternalSecret writes under spec.target.name, or an operator creates (create: true), is not one to create; a name a chart renders with tpl is not guessed', async () => {
    const release = (values: string) =>
      `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: app\n  namespace: demo\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: app-template\n      version: 4.4.0\n      sourceRef:\n        kind: HelmRepository\n        name: bjw-s\n  values:\n${values}---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: bjw-s\n  namespace: demo\nspec:\n  interval: 1h\n  url: https://bjw-s-labs.github.io/helm-charts\n`;
    const values = '    env:\n      - name: A\n        valueFrom:\n          secretKeyRef:\n            name: sonarr-secret\n            key: API_KEY\n      - name: B\n        valueFrom:\n          secretKeyRef:\n            name: oidc-client\n            key: secret\n    envFrom:\n      - secretRef:\n          name: "{{ .Release.Name }}-secret"\n      - secretRef:\n          name: missing-secret\n';
    const external = 'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: sonarr\n  namespace: demo\nspec:\n  secretStoreRef:\n    kind: ClusterSecretStore\n    name: onepassword\n  target:\n    name: sonarr-secret\n  data:\n    - secretKey: API_KEY\n      remoteRef:\n        key: sonarr\n';
    const client = 'apiVersion: keycloak.example.io/v1\nkind: KeycloakClient\nmetadata:\n  name: app\n  namespace: demo\nspec:\n  clientId: app\n  clientSecretRef:\n    name: oidc-client\n    create: true\n';
    const report = await check(fluxApp({ 'release.yaml': release(values), 'external.yaml': external, 'client.yaml': client }));
    expect(report.mustCreate.map((m) => `${m.kind} ${m.namespace}/${m.name}`)).toEqual(['ClusterSecretStore /onepassword', 'Secret demo/missing-secret']);
    // The key read must be one the ExternalSecret writes.
    const wrongKey = await check(fluxApp({ 'release.yaml': release(values.replace('key: API_KEY', 'key: APIKEY')), 'external.yaml': external, 'client.yaml': client }));
    expect(errors(wrongKey)).toEqual(['apps/demo/release.yaml: reads key APIKEY of ExternalSecret demo/sonarr-secret (apps/demo/external.yaml) which has API_KEY']);
  });
});
