/**
 * A Flux Operator fleet as xunholy/k8s-gitops @c56dc9de lays it out, on disk as `validate` reads it (754
 * false errors before): a FluxInstance in chart values syncs an OCI artifact pushed from `kubernetes/`
 * (its root is not the repository's), patches decryption and substitution into its Kustomization, reads
 * a ConfigMap a Taskfile applies by hand, re-includes a file below a directory its .sourceignore excludes
 * (go-git's matching), comments an app out of an overlay, and builds apps from an ArtifactGenerator that
 * copies whole directories (`@repo/dir/` → `@artifact/dir/`: source-watcher copies the directory into it).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateDirectory } from '../../lib/validate/directory.js';
import { BUNDLED_SCHEMAS } from '../../lib/validate/schemas.js';

const scratch = mkdtempSync(join(tmpdir(), 'hp-flux-operator-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ks = (name: string, ns: string, path: string, source: string, extra = '') =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  interval: 30m\n  path: ${path}\n  prune: true\n  sourceRef:\n${source}${extra}`;
const OCI_ROOT = '    kind: OCIRepository\n    name: flux-system\n';
const artifact = (name: string) => `    kind: ExternalArtifact\n    name: ${name}\n    namespace: flux-system\n`;

const LAYOUT: Record<string, string> = {
  '.sourceignore': '/*\n!/kubernetes\n/kubernetes/clusters/**/secrets/\n!/kubernetes/clusters/**/secrets/cluster-config.yaml\n!/kubernetes/clusters/**/secrets/cluster-secrets.enc.yaml\n',
  '.taskfiles/bootstrap/Taskfile.yaml': 'version: "3"\ntasks:\n  apply-config:\n    cmds:\n      - kubectl apply -f {{.ROOT_DIR}}/kubernetes/clusters/{{.CLUSTER_ID}}/secrets/cluster-config.yaml\n',
  'kubernetes/clusters/c0/ks.yaml': ks('cluster', 'flux-system', './apps/overlays/c0', OCI_ROOT, '  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-config\n'),
  'kubernetes/clusters/c0/flux-instance/app/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: flux-system\nconfigMapGenerator:\n  - name: flux-instance-values\n    files:\n      - values.yaml=./values.yaml\n',
  'kubernetes/clusters/c0/flux-instance/app/values.yaml':
    'instance:\n  distribution:\n    version: "2.x"\n  sync:\n    kind: OCIRepository\n    url: oci://ghcr.io/example/manifests/fleet\n    ref: main\n    path: ./clusters/c0\n  kustomize:\n    patches:\n      - patch: |-\n          apiVersion: kustomize.toolkit.fluxcd.io/v1\n          kind: Kustomization\n          metadata:\n            name: flux-system\n          spec:\n            decryption:\n              provider: sops\n            postBuild:\n              substituteFrom:\n                - kind: ConfigMap\n                  name: cluster-config\n        target:\n          kind: Kustomization\n          name: flux-system\n',
  'kubernetes/clusters/c0/secrets/cluster-config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-config\n  namespace: flux-system\ndata:\n  CLUSTER_ID: c0\n  LB_ADDRESS: 192.168.50.186\n',
  'kubernetes/clusters/c0/secrets/cluster-secrets.enc.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\ntype: Opaque\ndata:\n  TOKEN: ENC[AES256_GCM,data:abc]\nsops:\n  version: 3.9.0\n',
  'kubernetes/clusters/c0/secrets/left-out.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: left-out\n  namespace: not-there\n',
  'kubernetes/apps/overlays/c0/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base/generator\n  - ../../base/web/ks.yaml\n  # - ../../base/retired/ks.yaml\n',
  'kubernetes/apps/base/generator/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - artifactgenerator.yaml\n',
  'kubernetes/apps/base/generator/artifactgenerator.yaml':
    'apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: fleet\n  namespace: flux-system\nspec:\n  sources:\n    - alias: repo\n      kind: OCIRepository\n      name: flux-system\n  artifacts:\n    - name: web\n      copy:\n        - from: "@repo/apps/base/web/app/"\n          to: "@artifact/apps/base/web/app/"\n    - name: retired\n      copy:\n        - from: "@repo/apps/base/retired/app/"\n          to: "@artifact/apps/base/retired/app/"\n',
  'kubernetes/apps/base/web/ks.yaml': ks('web', 'flux-system', './apps/base/web/app', artifact('web'), '  targetNamespace: web\n'),
  'kubernetes/apps/base/web/app/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n  - configmap.yaml\n',
  'kubernetes/apps/base/web/app/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n',
  'kubernetes/apps/base/web/app/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  cluster: ${CLUSTER_ID}\n',
  // Commented out of the overlay: nothing applies it, whatever it holds.
  'kubernetes/apps/base/retired/ks.yaml': ks('retired', 'retired', './apps/base/retired/app', artifact('retired')),
  'kubernetes/apps/base/retired/app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: retired\n  namespace: never-created\n',
};

const write = (root: string, entries: Record<string, string>) => {
  for (const [path, text] of Object.entries(entries)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
};
let n = 0;
const validate = async (changes: Record<string, string | null> = {}) => {
  const entries: Record<string, string> = { ...LAYOUT };
  for (const [path, text] of Object.entries(changes)) {
    if (text === null) delete entries[path];
    else entries[path] = text;
  }
  return validateDirectory(write(join(scratch, `r${n++}`), entries), { schemaLocations: [BUNDLED_SCHEMAS] });
};
const errors = (r: Awaited<ReturnType<typeof validate>>) => r.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);

describe('a Flux Operator fleet synced from an OCI artifact of kubernetes/ (xunholy/k8s-gitops)', () => {
  it('validates clean, with one cluster, and says what it took from where', async () => {
    const report = await validate();
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.name)).toEqual(['kubernetes/clusters/c0']);
    expect(report.notes).toEqual(expect.arrayContaining([
      'kubernetes/clusters/c0: cluster kubernetes/clusters/c0 is synced by the FluxInstance in kubernetes/clusters/c0/flux-instance/app/values.yaml (sync.path ./clusters/c0, from kubernetes); its Kustomization flux-system is taken with the instance\'s 1 patch(es) to it',
      'kubernetes/apps/base/retired/ks.yaml: Flux Kustomization retired is commented out in kubernetes/apps/overlays/c0/kustomization.yaml, so nothing applies it: not checked',
      expect.stringMatching(/^kubernetes\/clusters\/c0: Kustomization flux-system substitutes from ConfigMap flux-system\/cluster-config \(kubernetes\/clusters\/c0\/secrets\/cluster-config.yaml\), taken as applied first by hand: \.taskfiles\/bootstrap\/Taskfile.yaml: /),
    ]));
  });

  it('without the instance\'s decryption patch, the SOPS Secret its root applies is applied as ciphertext', async () => {
    const values = LAYOUT['kubernetes/clusters/c0/flux-instance/app/values.yaml'].replace('            decryption:\n              provider: sops\n', '');
    expect(errors(await validate({ 'kubernetes/clusters/c0/flux-instance/app/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: flux-system\nconfigMapGenerator:\n  - name: flux-instance-values\n    files:\n      - values.yaml=./values.yaml\n',
  'kubernetes/clusters/c0/flux-instance/app/values.yaml': values }))).toContainEqual(expect.stringMatching(/cluster-secrets.enc.yaml: .*without spec.decryption/));
  });

  it('without the Taskfile step, the root reads cluster-config before it applies it: the first reconcile stops', async () => {
    expect(errors(await validate({ '.taskfiles/bootstrap/Taskfile.yaml': null }))).toContainEqual(
      expect.stringMatching(/substituteFrom ConfigMap flux-system\/cluster-config \(kubernetes\/clusters\/c0\/secrets\/cluster-config.yaml\) is not applied before this Kustomization/),
    );
  });

  it('a step that applies a file of the same name elsewhere does not apply this one: the path it names is compared, templated segments matching any', async () => {
    const taskfile = LAYOUT['.taskfiles/bootstrap/Taskfile.yaml'];
    const notApplied = /substituteFrom ConfigMap flux-system\/cluster-config .* is not applied before this Kustomization/;
    expect(errors(await validate({ '.taskfiles/bootstrap/Taskfile.yaml': taskfile.replace('/secrets/cluster-config.yaml', '/other/cluster-config.yaml') }))).toContainEqual(expect.stringMatching(notApplied));
    for (const path of ['{{.ROOT_DIR}}/kubernetes/clusters/*/secrets/cluster-config.yaml', '/srv/fleet/kubernetes/clusters/c0/secrets/cluster-config.yaml', '../../secrets/cluster-config.yaml', 'cluster-config.yaml']) {
      expect(errors(await validate({ '.taskfiles/bootstrap/Taskfile.yaml': taskfile.replace('{{.ROOT_DIR}}/kubernetes/clusters/{{.CLUSTER_ID}}/secrets/cluster-config.yaml', path) })), path).toEqual([]);
    }
  });

  it('a file re-included below an excluded directory is in the artifact (go-git matches each file on its own)', async () => {
    const config = `${LAYOUT['kubernetes/clusters/c0/secrets/cluster-config.yaml']}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n  namespace: missing-ns\n`;
    const stray = (r: Awaited<ReturnType<typeof validate>>) => errors(r).filter((e) => e.includes('missing-ns'));
    expect(stray(await validate({ 'kubernetes/clusters/c0/secrets/cluster-config.yaml': config }))).toHaveLength(1);
    const excluded = '/*\n!/kubernetes\n/kubernetes/clusters/**/secrets/\n!/kubernetes/clusters/**/secrets/cluster-secrets.enc.yaml\n';
    expect(stray(await validate({ 'kubernetes/clusters/c0/secrets/cluster-config.yaml': config, '.sourceignore': excluded }))).toEqual([]);
  });

  it('uncommented, the retired app is applied and its missing namespace found', async () => {
    const overlay = LAYOUT['kubernetes/apps/overlays/c0/kustomization.yaml'].replace('  # - ../../base/retired/ks.yaml', '  - ../../base/retired/ks.yaml');
    expect(errors(await validate({ 'kubernetes/apps/overlays/c0/kustomization.yaml': overlay }))).toContainEqual(expect.stringMatching(/never-created/));
  });

  it("valuesFrom a configMapGenerator's ConfigMap, renamed by a nameReference once Flux sets targetNamespace: a warning, not an error", async () => {
    const app = {
      'kubernetes/apps/base/web/app/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n  - release.yaml\nconfigMapGenerator:\n  - name: web-values\n    namespace: web\n    files:\n      - values.yaml=./values.yaml\nconfigurations:\n  - kustomizeconfig.yaml\n',
      'kubernetes/apps/base/web/app/kustomizeconfig.yaml': 'nameReference:\n  - kind: ConfigMap\n    version: v1\n    fieldSpecs:\n      - path: spec/valuesFrom/name\n        kind: HelmRelease\n',
      'kubernetes/apps/base/web/app/values.yaml': 'replicaCount: 1\n',
      'kubernetes/apps/base/web/app/release.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: web\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n        namespace: flux-system\n  valuesFrom:\n    - kind: ConfigMap\n      name: web-values\n',
      'kubernetes/apps/base/generator/repo.yaml': 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://charts.example.nl\n',
      'kubernetes/apps/base/generator/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - artifactgenerator.yaml\n  - repo.yaml\n',
    };
    const valuesFrom = (r: Awaited<ReturnType<typeof validate>>) => r.findings.filter((f) => f.message.includes('valuesFrom')).map((f) => f.severity);
    expect(valuesFrom(await validate(app))).toEqual(['warning']);
    // Without the nameReference configuration kustomize never renames valuesFrom: helm-controller fails, an error.
    const bare = app['kubernetes/apps/base/web/app/kustomization.yaml'].replace('configurations:\n  - kustomizeconfig.yaml\n', '');
    expect(valuesFrom(await validate({ ...app, 'kubernetes/apps/base/web/app/kustomization.yaml': bare }))).toEqual(['error']);
    expect(valuesFrom(await validate({ ...app, 'kubernetes/apps/base/web/ks.yaml': LAYOUT['kubernetes/apps/base/web/ks.yaml'].replace('  targetNamespace: web\n', '') }))).toEqual(['error']);
  });

  it('an artifact that holds the app one directory deeper than its path reads it; a file outside the copy is a warning', async () => {
    const report = await validate({
      'kubernetes/apps/base/web/app/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n  - configmap.yaml\n  - ../../shared/extra.yaml\n',
      'kubernetes/apps/base/shared/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n',
    });
    expect(report.findings.filter((f) => f.message.includes('ExternalArtifact')).map((f) => `${f.severity} ${f.message}`)).toEqual([
      'warning Kustomization web builds apps/base/web/app of ExternalArtifact flux-system/web, which reads kubernetes/apps/base/shared/extra.yaml; the artifact does not hold it: kustomize-controller fails the build',
    ]);
  });
  it("the instance's JSON 6902 patch to its Kustomization counts as its strategic-merge one does", async () => {
    const values = LAYOUT['kubernetes/clusters/c0/flux-instance/app/values.yaml'].replace(
      /      - patch: \|-\n[\s\S]*?        target:/,
      '      - patch: |-\n          - op: add\n            path: /spec/decryption\n            value:\n              provider: sops\n          - op: add\n            path: /spec/postBuild\n            value:\n              substituteFrom:\n                - kind: ConfigMap\n                  name: cluster-config\n        target:',
    );
    expect(values).toContain('op: add');
    expect(errors(await validate({ 'kubernetes/clusters/c0/flux-instance/app/values.yaml': values }))).toEqual([]);
    const noDecryption = values.replace('          - op: add\n            path: /spec/decryption\n            value:\n              provider: sops\n', '');
    expect(errors(await validate({ 'kubernetes/clusters/c0/flux-instance/app/values.yaml': noDecryption }))).toContainEqual(expect.stringMatching(/cluster-secrets.enc.yaml: .*without spec.decryption/));
  });
});

describe('a FluxInstance object that syncs a GitRepository (Flux Operator without the chart)', () => {
  const instance = (patch: string, extra = '') =>
    `apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  distribution:\n    version: "2.x"\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: GitRepository\n    url: https://git.example.nl/platform/fleet.git\n    ref: refs/heads/main\n    path: clusters/prod\n${extra}  kustomize:\n    patches:\n      - target:\n          kind: Kustomization\n        patch: |\n${patch.replace(/^/gm, '          ')}\n`;
  const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: flux-system\ntype: Opaque\ndata:\n  TOKEN: ENC[AES256_GCM,data:abc]\nsops:\n  version: 3.9.0\n';
  const repo = (files: Record<string, string>) => {
    const root = write(join(scratch, `g${n++}`), files);
    return validateDirectory(root, { schemaLocations: [BUNDLED_SCHEMAS] });
  };
  const DECRYPT_SMP = 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: all\nspec:\n  decryption:\n    provider: sops';
  const DECRYPT_6902 = '- op: add\n  path: /spec/decryption\n  value:\n    provider: sops';
  const OTHER = '- op: add\n  path: /spec/force\n  value: true';

  it("applies the instance's patches, either kind, to the cluster's root Kustomization", async () => {
    for (const patch of [DECRYPT_SMP, DECRYPT_6902]) {
      const report = await repo({ 'clusters/prod/flux-instance.yaml': instance(patch), 'clusters/prod/token.yaml': secret });
      expect(report.clusters.map((c) => c.name)).toEqual(['prod']);
      expect(errors(report)).toEqual([]);
    }
    const report = await repo({ 'clusters/prod/flux-instance.yaml': instance(OTHER), 'clusters/prod/token.yaml': secret });
    expect(errors(report)).toContainEqual(expect.stringMatching(/token.yaml: .*without spec.decryption/));
  });

  it('a GitRepository sync.path is from the repository root: an instance whose path exists only below a directory syncs nothing there', async () => {
    const values = LAYOUT['kubernetes/clusters/c0/flux-instance/app/values.yaml'].replace('kind: OCIRepository', 'kind: GitRepository');
    const root = LAYOUT['kubernetes/clusters/c0/ks.yaml'].replace('kind: OCIRepository', 'kind: GitRepository');
    const report = await validate({ 'kubernetes/clusters/c0/flux-instance/app/values.yaml': values, 'kubernetes/clusters/c0/ks.yaml': root });
    expect(report.notes.filter((note) => note.includes('is synced by the FluxInstance'))).toEqual([]);
    const atRoot = await validate({ 'kubernetes/clusters/c0/flux-instance/app/values.yaml': values.replace('path: ./clusters/c0', 'path: ./kubernetes/clusters/c0'), 'kubernetes/clusters/c0/ks.yaml': root });
    expect(atRoot.notes.filter((note) => note.includes('is synced by the FluxInstance'))).toHaveLength(1);
  });

  it('names the sync after sync.name where it is set', async () => {
    const report = await repo({ 'clusters/prod/flux-instance.yaml': instance(DECRYPT_6902, '    name: fleet\n').replace('        patch:', '          name: fleet\n        patch:'), 'clusters/prod/token.yaml': secret });
    expect(errors(report)).toEqual([]);
    const wrongName = await repo({ 'clusters/prod/flux-instance.yaml': instance(DECRYPT_6902, '    name: fleet\n').replace('        patch:', '          name: flux-system\n        patch:'), 'clusters/prod/token.yaml': secret });
    expect(errors(wrongName)).toContainEqual(expect.stringMatching(/token.yaml: .*without spec.decryption/));
  });
});
