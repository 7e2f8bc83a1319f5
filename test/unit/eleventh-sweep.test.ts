/**
 * What the eleventh sweep of public repositories showed validate (2026-12-07: cnoe-io/stacks,
 * equinor/radix-flux, aws-samples/eks-saas-gitops, xunholy/k8s-gitops, DoD-Platform-One/bigbang,
 * mitchross/talos-argocd-proxmox, epam/edp-cluster-add-ons and thirteen more): each false error as the
 * smallest repository that shows it, checked against upstream, with the true error beside it.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseMadeElsewhere } from '../../lib/validate/elsewhere.js';
import { BIN, tempDir } from '../helpers.js';
import { bootstrap, check, configMap, errors, fluxKustomization, kustomization, namespace, warnings } from '../validate-fixtures.js';

describe('Flux post-build substitution', () => {
  // fluxcd/pkg kustomize/kustomize_varsub.go LoadVariables: a substituteFrom ConfigMap that is not there (and not
  // optional) is an error before anything is substituted: Flux never says "variable not set" then.
  it('a substituteFrom ConfigMap that is not there is the one error, not every variable it would have given (equinor/radix-flux: 196 errors)', async () => {
    const repo = (substitute: string) => ({
      ...bootstrap('prod'),
      'clusters/prod/web.yaml': fluxKustomization('web', './apps/web', `  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: platform-config\n${substitute}`),
      'apps/web/kustomization.yaml': kustomization('resources:\n  - ns.yaml\n  - cm.yaml\n'),
      'apps/web/ns.yaml': namespace('web'),
      'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\ndata:\n  host: "www.${dnsZone}"\n',
    });
    const missing = 'clusters/prod/web.yaml: substituteFrom ConfigMap flux-system/platform-config is not in the repository: Flux stops with "not found"';
    expect(errors(await check(repo('    substitute:\n      WEB_VERSION: "1.2.3"\n')))).toEqual([missing]);
    expect(errors(await check(repo('')))).toEqual([missing]);
    // With the ConfigMap in the repository, a variable it does not give still is an error.
    const given = { ...repo('    substitute:\n      WEB_VERSION: "1.2.3"\n'), 'clusters/prod/platform-config.yaml': configMap('platform-config', 'flux-system').replace('mode: standard', 'clusterName: prod') };
    expect(errors(await check(given))).toEqual([
      expect.stringMatching(/^apps\/web\/cm\.yaml: \$\{dnsZone\} has no value on cluster prod/),
    ]);
  });
});

describe('which repository an Argo CD source is', () => {
  const app = (name: string, repoURL: string, path: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: ${repoURL}\n    targetRevision: HEAD\n    path: ${path}\n    directory:\n      recurse: true\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: ${name}\n`;
  // idpbuilder (cnoe-io/idpbuilder pkg/controllers/custompackage: CNOEURIScheme "cnoe://") pushes the directory
  // to a Gitea repository of its own and rewrites the URL; Argo CD fetches over https, ssh or git (argo-cd util/git).
  it('a cnoe:// or file:// source is another repository, not this one\'s root (cnoe-io/stacks: 633 errors)', async () => {
    const repo = (url: (dir: string) => string) => ({
      'stack-a/app.yaml': app('workload-a', url('workload-a'), '.'),
      'stack-a/workload-a/cm.yaml': configMap('a', 'workload-a'),
      'stack-b/app.yaml': app('workload-b', url('workload-b'), '.'),
      'stack-b/workload-b/cm.yaml': configMap('b', 'workload-b'),
    });
    for (const scheme of ['cnoe://', 'file:///srv/git/']) {
      const report = await check(repo((dir) => `${scheme}${dir}`), { repositoryUrls: ['https://github.com/example/stacks'] });
      expect(errors(report), scheme).toEqual([]);
      expect(report.notes.join('\n'), scheme).toContain(`${scheme.split('//')[0]}// names no git server`);
    }
    // The same layout whose sources name this repository's root: each Application applies the other.
    expect(errors(await check(repo(() => 'https://github.com/example/stacks'), { repositoryUrls: ['https://github.com/example/stacks'] }))).toContain(
      'stack-b/app.yaml: Application argocd/workload-b is also applied by workload-a (stack-b/app.yaml), not only by workload-b',
    );
  });
});

describe("a Flux Kustomization's path", () => {
  // kustomize-controller internal/controller/kustomization_controller.go: securejoin.SecureJoin(tmpDir, obj.Spec.Path).
  it('climbing above the source root stays at the root, as securejoin keeps it: a warning, and the directory is built (equinor/radix-flux: 3 errors, a directory never checked)', async () => {
    const report = await check({
      ...bootstrap('prod'),
      'clusters/prod/web.yaml': fluxKustomization('web', '../apps/web'),
      'apps/web/kustomization.yaml': kustomization('resources:\n  - ns.yaml\n  - cm.yaml\n'),
      'apps/web/ns.yaml': namespace('web'),
      'apps/web/cm.yaml': configMap('web', 'elsewhere'),
    });
    // Built: its ConfigMap's namespace is one nothing creates.
    expect(errors(report)).toEqual(['apps/web/cm.yaml: namespace elsewhere is never created on cluster prod']);
    expect(warnings(report)).toContain("clusters/prod/web.yaml: Kustomization web: path ../apps/web climbs above the source's root, where kustomize-controller stops it (securejoin): Flux builds apps/web; write ./apps/web");
  });
});

describe('the secret scan', () => {
  it('a value that says no key is required (`sk-no-key-required` for a local llama.cpp server; mitchross: 2 errors); a key is one', async () => {
    const settings = (value: string) => ({ ...bootstrap('prod'), 'clusters/prod/settings.yaml': `${configMap('llm', 'flux-system').replace('  mode: standard\n', `  OPENAI_API_KEY: ${value}\n`)}` });
    const literal = async (value: string) => errors(await check(settings(value))).filter((e) => e.includes('literal'));
    for (const value of ['sk-no-key-required', '"llama-cpp-no-key-required"', 'no_token_needed']) expect(await literal(value), value).toEqual([]);
    expect(await literal('sk-live-no-key-required-hunter2')).toEqual(['clusters/prod/settings.yaml: line 7: OPENAI_API_KEY has a literal value; reference a Secret instead']);
  });

  const doc = (block: string) => ({ ...bootstrap('prod'), 'docs/tls.md': `# Your own TLS key\n\n\`\`\`yaml\ntls:\n  key: |\n${block}\`\`\`\n` });
  const keyErrors = async (block: string) => errors(await check(doc(block))).filter((e) => e.includes('private key'));
  const pem = (body: string[]) => `    -----BEGIN PRIVATE KEY-----\n${body.map((l) => `    ${l}\n`).join('')}    -----END PRIVATE KEY-----\n`;

  it("a private key's stand-in is none: a run of x, a body cut short with ... (DoD-Platform-One/bigbang: 3 errors); a key is one", async () => {
    expect(await keyErrors(pem(['x'.repeat(64), 'x'.repeat(64)]))).toEqual([]);
    expect(await keyErrors(pem(['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC...']))).toEqual([]);
    expect(await keyErrors(pem(['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC', '…']))).toEqual([]);
    // An Ed25519 key in PKCS#8 (RFC 8410's example) is short and whole.
    expect(await keyErrors(pem(['MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC']))).toEqual(['docs/tls.md: line 6 holds a private key']);
    // A key on one line (a service account's JSON) ends there: a certificate and a `...` further on are not part of it.
    const json = `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC'.repeat(2)}\\n-----END PRIVATE KEY-----\\n"}`;
    const oneLine = errors(await check({ ...bootstrap('prod'), 'docs/sa.md': `# Service account\n\n    ${json}\n\nThe CA, abbreviated...\n\n    -----BEGIN CERTIFICATE-----\n    MIIBszCCAVmgAwIBAgIU\n    -----END CERTIFICATE-----\n` })).filter((e) => e.includes('private key'));
    expect(oneLine).toEqual(['docs/sa.md: line 3 holds a private key']);
    expect(await keyErrors('    -----BEGIN OPENSSH PRIVATE KEY-----\n    b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n    -----END OPENSSH PRIVATE KEY-----\n')).toEqual(['docs/tls.md: line 6 holds a private key']);
  });
});

describe('steps run by hand', () => {
  it('`kubectl create namespace x --dry-run=client -o yaml | kubectl apply -f -` makes it (xunholy/k8s-gitops: 2 errors); written to a file only, it does not', async () => {
    const repo = (step: string) => ({
      ...bootstrap('prod'),
      'Taskfile.yaml': `version: "3"\ntasks:\n  bootstrap:\n    cmds:\n      - ${step}\n      - flux bootstrap github --owner=example --repository=fleet --path=clusters/prod\n`,
      'clusters/prod/configmap.yaml': configMap('connect-settings', 'external-secrets'),
      'clusters/prod/eso.yaml': fluxKustomization('eso', './apps/eso'),
      'apps/eso/kustomization.yaml': kustomization('resources:\n  - ns.yaml\n'),
      'apps/eso/ns.yaml': namespace('external-secrets'),
    });
    expect(errors(await check(repo('kubectl create namespace external-secrets --dry-run=client -o yaml | kubectl apply -f -')))).toEqual([]);
    expect(errors(await check(repo('kubectl create namespace external-secrets --dry-run=client -o yaml | kubectl apply --server-side -f -')))).toEqual([]);
    expect(errors(await check(repo('kubectl create namespace external-secrets --dry-run=client -o yaml > ns.yaml')))).toEqual([
      'clusters/prod/configmap.yaml: namespace external-secrets is created by eso, which is not ordered before flux-system on cluster prod, and eso is applied by it: neither ever applies',
    ]);
  });
});

describe('Argo CD projects', () => {
  // argo-cd util/argo/argo.go (37ee0097) GetAppProjectByName: the project is read in Argo CD's own namespace,
  // whatever cluster the Application deploys to.
  it('an Application deploying to another cluster finds a project applied by hand on the Argo CD it runs on (epam/edp-cluster-add-ons: 1 error); a project nowhere still is one', async () => {
    const app = (name: string, project: string, server: string) =>
      `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: ${project}\n  source:\n    repoURL: https://github.com/example/platform\n    targetRevision: HEAD\n    path: clusters/${name}/apps\n  destination:\n    server: ${server}\n    namespace: addons\n`;
    const repo = (project: string) => ({
      'argocd-projects/core.yaml': "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: core\n  namespace: argocd\nspec:\n  sourceRepos: ['*']\n  destinations:\n    - server: '*'\n      namespace: '*'\n  clusterResourceWhitelist:\n    - group: '*'\n      kind: '*'\n",
      'clusters/core/bootstrap.yaml': app('core', 'core', 'https://kubernetes.default.svc'),
      'clusters/core/apps/cm.yaml': configMap('core', 'default'),
      'clusters/prod/bootstrap.yaml': app('prod', project, 'https://kubernetes.example.com'),
      'clusters/prod/apps/cm.yaml': configMap('prod', 'default'),
    });
    const own = { repositoryUrls: ['https://github.com/example/platform'] };
    expect(errors(await check(repo('core'), own))).toEqual([]);
    expect(errors(await check(repo('edge'), own))).toEqual(['clusters/prod/bootstrap.yaml: project edge is not an AppProject of the hub']);
  });
});

describe('which directories are clusters', () => {
  it("a Flux Kustomization nothing syncs, in a directory the clusters apply parts of, is a stray, not a cluster of its own (equinor/radix-flux: 24 errors)", async () => {
    const repo = (extra: Record<string, string>) => ({
      ...bootstrap('prod'),
      'clusters/prod/kustomization.yaml': kustomization('resources:\n  - flux-system\n  - ../../components/flux/storageclasses\n'),
      'components/flux/storageclasses/kustomization.yaml': kustomization('resources:\n  - fast.yaml\n'),
      'components/flux/storageclasses/fast.yaml': 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: csi.example.com\n',
      // Patch fragments a cluster's kustomization would take in: no whole Deployments.
      'components/flux/flux-patches.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\n  namespace: flux-system\nspec:\n  template:\n    metadata:\n      labels:\n        monitored: "true"\n',
      'components/flux/pod-monitor.yaml': fluxKustomization('flux-pod-monitor', './components/flux/pod-monitor'),
      'components/flux/pod-monitor/cm.yaml': configMap('pod-monitor', 'flux-system'),
      ...extra,
    });
    const stray = await check(repo({}));
    expect(errors(stray)).toEqual([]);
    expect(stray.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(stray.notes.join('\n')).toContain('components/flux/pod-monitor.yaml: Flux Kustomization flux-pod-monitor is in components/flux, a directory cluster prod applies parts of');
    // Applied by a step run by hand, it is a root of its own again (and its fragments are checked as objects).
    const byHand = await check(repo({ 'README.md': '# Set-up\n\n```sh\nkubectl apply -f components/flux/pod-monitor.yaml\n```\n' }));
    expect(byHand.clusters.map((c) => c.name).sort()).toEqual(['components/flux', 'prod']);
  });
});

describe("a guessed cluster's source", () => {
  it('a directory pushed as a repository of its own: its Kustomizations\' paths are from there (aws-samples/eks-saas-gitops: 6 errors); a path that is nowhere still is an error', async () => {
    const repo = (path: string) => ({
      'terraform/flux.tf': 'resource "kubernetes_manifest" "flux_instance" {\n  # sync = { kind = "GitRepository", url = var.gitea_repo_url, path = "clusters/production" }\n}\n',
      'gitops/clusters/production/sources.yaml': fluxKustomization('sources', path),
      'gitops/infrastructure/base/sources/kustomization.yaml': kustomization('resources:\n  - cm.yaml\n'),
      'gitops/infrastructure/base/sources/cm.yaml': configMap('sources', 'flux-system'),
    });
    const pushed = await check(repo('./infrastructure/base/sources'));
    expect(errors(pushed)).toEqual([]);
    expect(pushed.notes.join('\n')).toContain('its paths exist below gitops, taken to be the root of the repository it syncs (a directory pushed to a repository of its own)');
    expect(errors(await check(repo('./infrastructure/base/missing')))).toEqual(['gitops/clusters/production/sources.yaml: Kustomization sources: path ./infrastructure/base/missing does not exist']);
  });
});

describe('a repository with no cluster', () => {
  it("says where its Argo CD Applications are when Helm renders them (argocd-example-apps' apps/ chart, argocd-apps values: khuedoan/homelab), instead of that there are none", async () => {
    const nothing = errors(await check({ 'README.md': '# nothing\n', 'app/cm.yaml': configMap('a', 'default') }));
    expect(nothing).toEqual(['.: no cluster found: no Flux Kustomization (kustomize.toolkit.fluxcd.io) or flux-system/ directory, and no Argo CD Application or ApplicationSet: nothing here is applied by Flux or Argo CD']);
    const inHelm = errors(
      await check({
        'apps/Chart.yaml': 'apiVersion: v2\nname: apps\nversion: 0.1.0\n',
        'apps/templates/guestbook.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: guestbook\n  namespace: argocd\nspec:\n  destination:\n    namespace: guestbook\n    server: {{ .Values.spec.destination.server }}\n  project: default\n  source:\n    path: guestbook\n    repoURL: {{ .Values.spec.source.repoURL }}\n',
        'system/argocd/Chart.yaml': 'apiVersion: v2\nname: argocd\nversion: 0.1.0\ndependencies:\n  - name: argocd-apps\n    version: 2.0.2\n    repository: https://argoproj.github.io/argo-helm\n',
        'system/argocd/values.yaml': "argocd-apps:\n  applicationsets:\n    root:\n      namespace: argocd\n      generators:\n        - git:\n            repoURL: https://git.example.com/ops/homelab\n            revision: main\n            directories:\n              - path: apps/*\n      template:\n        metadata:\n          name: '{{path.basename}}'\n        spec:\n          destination:\n            name: in-cluster\n          project: default\n          source:\n            repoURL: https://git.example.com/ops/homelab\n            path: '{{path}}'\n",
      }),
    );
    expect(inHelm).toEqual([
      '.: no cluster found: no Flux Kustomization or flux-system/ directory, and the Argo CD Applications here are in Helm chart templates (apps/templates/guestbook.yaml) and chart values (system/argocd/values.yaml), which Helm renders before Argo CD reads them: nothing renders them offline, so nothing they apply is checked. An Application of this repository written as YAML (the root of an app-of-apps) is what validate starts from',
    ]);
  });
});

describe('validate --exists: objects made outside the repository', () => {
  const substituting = {
    ...bootstrap('prod'),
    'clusters/prod/web.yaml': fluxKustomization('web', './apps/web', '  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: radix-flux-config\n'),
    'apps/web/kustomization.yaml': kustomization('resources:\n  - cm.yaml\n  - secret-user.yaml\n'),
    'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: platform\ndata:\n  host: "www.${dnsZone}"\n',
    'apps/web/secret-user.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: platform\nspec:\n  containers:\n    - name: web\n      image: nginx:1.29\n      env:\n        - name: TOKEN\n          valueFrom:\n            secretKeyRef:\n              name: web-token\n              key: token\n',
  };

  it("a ConfigMap another repository's script makes, a namespace the platform makes, a Secret made elsewhere (equinor/radix-flux: 79 errors, akuity: the akuity namespace)", async () => {
    const without = await check(substituting);
    expect(errors(without)).toEqual([
      // Once for the unit, with how many of its objects are in it.
      'apps/web/cm.yaml: namespace platform is never created on cluster prod (2 objects web applies in platform on this cluster: this is the first)',
      'clusters/prod/web.yaml: substituteFrom ConfigMap flux-system/radix-flux-config is not in the repository: Flux stops with "not found"',
    ]);
    expect(without.mustCreate.map((m) => `${m.kind} ${m.namespace}/${m.name}`)).toEqual(['Secret platform/web-token']);
    const exists = [parseMadeElsewhere('ConfigMap/flux-system/radix-flux-config'), parseMadeElsewhere('namespace/platform'), parseMadeElsewhere('Secret/platform/web-token')];
    const told = await check(substituting, { exists });
    expect(errors(told)).toEqual([]);
    expect(told.mustCreate).toEqual([]);
    expect(told.notes).toContain('ConfigMap flux-system/radix-flux-config is made outside this repository (--exists): taken to exist on every cluster, the values of its variables not known here');
    // Another namespace's ConfigMap of that name is not the one.
    expect(errors(await check(substituting, { exists: [parseMadeElsewhere('cm/other/radix-flux-config'), ...exists.slice(1)] }))).toEqual([
      'clusters/prod/web.yaml: substituteFrom ConfigMap flux-system/radix-flux-config is not in the repository: Flux stops with "not found"',
    ]);
  });

  it.each([
    ['Deployment/x/y', '"Deployment" is not a kind it takes'],
    ['ConfigMap/x', 'a ConfigMap is ConfigMap/<namespace>/<name>'],
    ['Namespace/Platform', '"Platform" is no namespace name'],
    ['Secret/ns/bad_name', '"bad_name" is no Secret name'],
  ])('refuses %s naming the problem and what is allowed, exit 2', (value, problem) => {
    const run = spawnSync(process.execPath, [BIN, 'validate', '.', '--exists', value], { cwd: tempDir(), encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`validate --exists ${JSON.stringify(value)}: ${problem}`);
    expect(run.stderr).toContain('allowed: Namespace/<name>, ConfigMap/<namespace>/<name> or Secret/<namespace>/<name>');
    expect(run.stdout).toBe('');
  });
});

describe('what the regression run of the eleventh sweep showed', () => {
  it('a ConfigMap and a namespace Terraform makes (aws-samples/eks-saas-gitops: 6 errors); one named by an expression is not known', async () => {
    const repo = (name: string) => ({
      ...bootstrap('prod'),
      'terraform/flux.tf': `resource "kubernetes_namespace_v1" "tenants" {\n  metadata {\n    name = "tenants"\n  }\n}\n\nresource "kubernetes_config_map" "outputs" {\n  metadata {\n    name      = ${name}\n    namespace = "flux-system"\n  }\n  data = {\n    region = "eu-west-1"\n  }\n}\n`,
      'clusters/prod/apps.yaml': fluxKustomization('apps', './apps', '  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: infra-outputs\n'),
      'apps/kustomization.yaml': kustomization('resources:\n  - cm.yaml\n'),
      'apps/cm.yaml': configMap('settings', 'tenants').replace('mode: standard', 'region: ${region}'),
    });
    expect(errors(await check(repo('"infra-outputs"')))).toEqual([]);
    expect(errors(await check(repo('"${var.outputs_name}"')))).toEqual(['clusters/prod/apps.yaml: substituteFrom ConfigMap flux-system/infra-outputs is not in the repository: Flux stops with "not found"']);
  });

  it("a cluster's bootstrap file in clusters/ beside clusters/prod is no stray of a shared directory", async () => {
    const staging = `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: staging\n  namespace: flux-system\nspec:\n  interval: 1m\n  ref:\n    branch: main\n  url: https://github.com/example/fleet\n---\n${fluxKustomization('staging', './clusters/staging').replace('name: flux-system\n', 'name: staging\n')}`;
    const report = await check({
      ...bootstrap('prod'),
      'clusters/prod/cm.yaml': configMap('prod', 'default'),
      'clusters/staging.yaml': staging,
      'clusters/staging/cm.yaml': configMap('staging', 'default'),
    });
    expect(errors(report)).toEqual([]);
    expect(report.notes.join('\n')).not.toContain('a directory cluster prod applies parts of');
  });
});
