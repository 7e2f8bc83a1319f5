/**
 * What the eighth sweep of public repositories showed about Flux variables, SOPS and the secret scan
 * (2026-12-07: JJGadgets/Biohazard, sulibot/home-ops): each false error's cause, checked against upstream
 * (fluxcd/pkg envsubst/v1.7.0, fluxcd/kustomize-controller internal/decryptor/decryptor.go, getsops/sops),
 * as the smallest repository that shows it, with the true error beside it.
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { substitute } from '../../lib/validate/substitute.js';

const check = async (entries: Record<string, string>) => {
  const files = new FileSet();
  for (const [p, t] of Object.entries(entries)) files.add(p, t);
  return validateFiles(files);
};
type Report = Awaited<ReturnType<typeof check>>;
const errors = (r: Report) => r.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);
const warnings = (r: Report) => r.findings.filter((f) => f.severity === 'warning').map((f) => `${f.file}: ${f.message}`);
const kustomization = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
const sync =
  'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: https://github.com/example/fleet\n---\n' +
  'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m0s\n  path: ./clusters/prod\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
/** A Flux Kustomization of flux-system applying `path`, with more of its spec. */
const fluxKustomization = (name: string, path: string, spec = '') =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ${path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${spec}`;
/** A bootstrapped cluster `prod` whose root applies these files (clusters/prod/…) besides flux-system. */
const cluster = (files: Record<string, string>) => ({
  'clusters/prod/flux-system/gotk-sync.yaml': sync,
  'clusters/prod/flux-system/kustomization.yaml': kustomization('resources:\n  - gotk-sync.yaml\n'),
  'clusters/prod/kustomization.yaml': kustomization(`resources:\n  - flux-system\n${Object.keys(files).filter((f) => f.startsWith('clusters/prod/')).map((f) => `  - ${f.slice('clusters/prod/'.length)}\n`).join('')}`),
  ...files,
});
const namespace = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

describe('Flux post-build substitution evaluates every operator fluxcd/pkg envsubst v1.7.0 parses (Biohazard)', () => {
  it('gives the results of envsubst/eval_test.go TestExpand', () => {
    // The cases of fluxcd/pkg envsubst/v1.7.0 envsubst/eval_test.go TestExpand, with their expected output.
    const cases: [Record<string, string>, string, string][] = [
      [{}, 'abcdEFGH28ij', 'abcdEFGH28ij'],
      [{ var01: 'abcdEFGH28ij' }, '${#var01}', '12'],
      [{ var01: 'abcdEFGH28ij' }, '${var01^}', 'AbcdEFGH28ij'],
      [{ var01: 'abcdEFGH28ij' }, '${var01^^}', 'ABCDEFGH28IJ'],
      [{ var01: 'ABCDEFGH28IJ' }, '${var01,}', 'aBCDEFGH28IJ'],
      [{ var01: 'ABCDEFGH28IJ' }, '${var01,,}', 'abcdefgh28ij'],
      [{ path_name: '/home/bozo/ideas/thoughts.for.today' }, '${path_name:11}', 'ideas/thoughts.for.today'],
      [{ path_name: '/home/bozo/ideas/thoughts.for.today' }, '${path_name:11:5}', 'ideas'],
      [{ var: 'abc' }, '${var=xyz}', 'abc'],
      [{ default_var: 'foo' }, 'something ${var=${default_var}}', 'something foo'],
      [{ default_var: 'foo1' }, 'foo: ${var=${default_var}-suffix}', 'foo: foo1-suffix'],
      [{ default_var: 'foo1' }, 'foo: ${var=prefix${default_var}-suffix}', 'foo: prefixfoo1-suffix'],
      [{ stringZ: 'abcABC123ABCabc' }, '${stringZ/%abc/XYZ}', 'abcABC123ABCXYZ'],
      [{ stringZ: 'abcABC123ABCabc' }, '${stringZ/#abc/XYZ}', 'XYZABC123ABCabc'],
      [{ stringZ: 'abcABC123ABCabc' }, '${stringZ//abc/xyz}', 'xyzABC123ABCxyz'],
      [{ stringZ: 'abcABC123ABCabc' }, '${stringZ/abc/xyz}', 'xyzABC123ABCabc'],
      [{ filename: 'bash.string.txt' }, '${filename#*.}', 'string.txt'],
      [{ filename: 'path/to/file' }, '${filename#*/}', 'to/file'],
      [{ filename: '/path/to/file' }, '${filename#*/}', 'path/to/file'],
      [{ filename: 'bash.string.txt' }, '${filename##*.}', 'txt'],
      [{ filename: 'path/to/file' }, '${filename##*/}', 'file'],
      [{ filename: '/path/to/file' }, '${filename##*/}', 'file'],
      [{ filename: 'bash.string.txt' }, '${filename%.*}', 'bash.string'],
      [{ filename: 'bash.string.txt' }, '${filename%%.*}', 'bash'],
      [{ var01: 'abcdEFGH28ij' }, '${var=${var01^^}}', 'ABCDEFGH28IJ'],
      [{ var01: 'abcdEFGH28ij' }, '$${var01}', '${var01}'],
      [{ var01: 'abcdEFGH28ij' }, 'some text ${var01}$${var$${var01}$var01${var01}', 'some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij'],
      [{ default_var: 'foo' }, 'something $${var=${default_var}}', 'something ${var=foo}'],
      [{ stringZ: 'foo/bar' }, '${stringZ/\\//-}', 'foo-bar'],
      [{ stringZ: 'foo/bar/baz' }, '${stringZ//\\//-}', 'foo-bar-baz'],
      [{ default_var: 'foo' }, '\\\\something ${var=${default_var}}', '\\\\something foo'],
      [{ stringZ: 'foo.bar' }, '${stringZ/./}', 'foobar'],
    ];
    for (const [vars, input, output] of cases) expect([input, substitute(input, new Map(Object.entries(vars))).text]).toEqual([input, output]);
  });

  it('reads an unset variable as envsubst does: missing under every operator but a default, evaluated as empty, or left as written when its source is not in the repository', () => {
    // envsubst/v1.7.0 TestExpandStrict: unset under a transformation is "variable not set"; the defaults supply one.
    const vars = new Map([['SET', 'value']]);
    for (const expression of ['${missing}', '${#missing}', '${missing^^}', '${missing,}', '${missing:0:10}', '${missing/a/b}', '${missing//a/b}', '${missing/#a/b}', '${missing/%a/b}', '${missing#a}', '${missing##a}', '${missing%a}', '${missing%%a}']) {
      expect([expression, substitute(expression, vars).missing]).toEqual([expression, ['missing']]);
    }
    expect(substitute('${#missing}|${missing:0:3}', vars).text).toBe('0|');
    expect(substitute('${missing:-fallback} ${missing:=assigned} ${missing=assigned} ${missing:?x} ${missing:+y}', vars)).toEqual({ text: 'fallback assigned assigned x y', missing: [], unparsable: [] });
    // A variable that may come from a Secret not in the repository: unknown, so the expression stays as written.
    expect(substitute('${missing:0:3}-${SET:0:3}', vars, 0, true).text).toBe('${missing:0:3}-val');
    // What envsubst does not parse breaks the build: `${a-b}` (no `-` operator), a pattern missing, a replacement without its second `/`.
    expect(substitute('${SET%} ${SET/x} ${SET-d}', vars).unparsable).toEqual(['${SET%}', '${SET/x}', '${SET-d}']);
    // Offsets and lengths: negative offsets from the end, past the end empty, no number the whole value (funcs.go toSubstr).
    const digits = new Map([['S', '123456789123456789'], ['N', '-3'], ['F', '-300']]);
    // envsubst/v1.7.0 funcs_test.go Test_substr, through expressions (a negative offset only as a variable: `${S:-3}` is a default).
    expect(substitute('${S:0:8}|${S:1:8}|${S:9}|${S:9:50}|${S:${N}:2}|${S:${F}:3}', digits).text).toBe('12345678|23456789|123456789|123456789|78|123');
    // Read from parse.go and funcs.go: `/#` and `/%` need a replacement (funcs.go replacePrefix: two arguments) or leave the
    // value; a mixed casing operator is toDefault; a name may start with a digit (scan.go acceptIdent).
    expect(substitute('${SET/#v/}|${SET/%e/E}|${SET//a/}|${SET,^}|${SET##*l}', vars).text).toBe('value|valuE|vlue|value|ue');
    expect(substitute('${1}', vars).missing).toEqual(['1']);
    expect(substitute('${SET:-3}|${SET: -3}|${SET:9}|${SET:1:x}|${SET:1:2}', vars).text).toBe('value|value||value|al');
  });

  it('two Kustomizations of one template with ${PVC:0:50} and ${APP_VERSION#pattern} in the name apply two distinct objects', async () => {
    const snapshot = (name: string) =>
      fluxKustomization(`${name}-snapshot`, './templates/snapshot', `  targetNamespace: media\n  postBuild:\n    substitute:\n      PVC: ${name}\n      APP_VERSION: "ghcr.io/example/app:1.0.0@sha256:137c3ec3145beab4f826f63c8fe44347002400ed115d42c0450d49d9bf6fe16f"\n`);
    const files = (pvc: string) =>
      cluster({
        'clusters/prod/config.yaml': namespace('media'),
        'clusters/prod/snapshots.yaml': `${snapshot('app-data')}---\n${snapshot(pvc)}`,
        'templates/snapshot/kustomization.yaml': kustomization('resources:\n  - configmap.yaml\n'),
        'templates/snapshot/configmap.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "\${PVC:0:50}-v\${APP_VERSION#*@sha256:${'?'.repeat(53)}}"\ndata:\n  pvc: "\${PVC}"\n`,
      });
    const report = await check(files('app-media'));
    expect(errors(report)).toEqual([]);
    // Names are compared as Flux makes them: app-data-v9d9bf6fe16f and app-media-v9d9bf6fe16f.
    // Still caught: two PVC values whose first 50 characters agree give one name twice.
    const long = 'x'.repeat(50);
    const same = await check({
      ...files(`${long}-b`),
      'clusters/prod/snapshots.yaml': `${snapshot(`${long}-a`)}---\n${snapshot(`${long}-b`)}`,
    });
    expect(errors(same)).toEqual([`templates/snapshot/configmap.yaml: ConfigMap media/${long}-v9d9bf6fe16f is also applied by ${long}-a-snapshot (templates/snapshot/configmap.yaml), not only by ${long}-b-snapshot`]);
  });
});

/** An age recipient block and a MAC, as sops writes them (the values are not checked offline). */
const sopsBlock = (rule: string) =>
  `sops:\n    age:\n        - recipient: age1k3sunyva3kc3jusxs3j93nyueqjgzcgg6s6qghn8aeqpuy7l35wss8gxvg\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSAyV2VWLzhTVXJ0RDZabjNl\n            -----END AGE ENCRYPTED FILE-----\n    lastmodified: "2026-01-01T00:00:00Z"\n    mac: ENC[AES256_GCM,data:toyrWr8mmfuQcqLvScBKs/v8nCq/iBwgnVb9y+NtP7l6,iv:sFsgueqT5ujSZ24FaqWN5kes00RWbIpFFNe2bj7owCw=,tag:MUh5XuwkqU9Q1pborVSzxQ==,type:str]\n${rule}    version: 3.10.2\n`;
const enc = (data: string) => `ENC[AES256_GCM,data:${data},iv:RuoxV+ol9xoluTvTsf/vDKc1Cobn1Q3XAuX4bOaTpC0=,tag:hWCSGtbEnX5+3XVcKmq6nA==,type:str]`;
/** Cluster prod applying apps/<name>/ (its namespace and these files) through a Kustomization that decrypts with SOPS. */
const decrypting = (name: string, files: Record<string, string>, decryption = true) =>
  cluster({
    [`clusters/prod/${name}.yaml`]: fluxKustomization(name, `./apps/${name}`, decryption ? '  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n' : ''),
    [`apps/${name}/kustomization.yaml`]: kustomization(`resources:\n${['namespace.yaml', ...Object.keys(files)].map((f) => `  - ${f}\n`).join('')}`),
    [`apps/${name}/namespace.yaml`]: namespace(name),
    ...Object.fromEntries(Object.entries(files).map(([f, t]) => [`apps/${name}/${f}`, t])),
  });

describe('SOPS-encrypted objects of any kind, as kustomize-controller decrypts them (Biohazard, sulibot)', () => {
  it('a ConfigMap with sops.mac is checked without its sops block; an object whose apiVersion and kind are encrypted is not checked, with a warning', async () => {
    const report = await check(
      decrypting('tool', {
        'config.sops.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: tool-config\n    namespace: tool\ndata:\n    server.config.yaml: ${enc('ZVrNkcRQwmLMwefSvMmlD7x4')}\n${sopsBlock('    unencrypted_suffix: _unencrypted\n')}`,
        'deployment.sops.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n    name: tool\n    namespace: tool\nspec:\n    replicas: ${enc('Mg==').replace('type:str', 'type:int')}\n    selector:\n        matchLabels:\n            app: tool\n    template:\n        metadata:\n            labels:\n                app: tool\n        spec:\n            containers:\n                - name: tool\n                  image: ghcr.io/example/tool:1.0.0\n${sopsBlock('')}`,
        'credentials.sops.yaml': `apiVersion: ${enc('TBo=')}\nkind: ${enc('5g8R+fOG')}\nmetadata:\n    name: ${enc('luIndH/TQIXUauyynUgK24cBnBEjQIja7hE=')}\n    namespace: ${enc('AW+WF5Au6hs=')}\nstringData:\n    token: ${enc('GeRhAj7xAp1w9tTXQ8b9bayzbLGCPtks')}\n${sopsBlock('')}`,
      }),
    );
    expect(report.findings.filter((f) => f.check === 'schema' && f.severity === 'error')).toEqual([]);
    // No reference is checked for the object whose namespace is encrypted (no "namespace ENC[…] is never created").
    expect(errors(report)).toEqual([]);
    expect(warnings(report)).toContain('apps/tool/credentials.sops.yaml: its apiVersion, kind, metadata.name, metadata.namespace are SOPS-encrypted, so what it is is known only when kustomize-controller decrypts it to apply it: not validated');
  });

  it('still catches: a field no kind has beside the sops block, a value of the wrong type in the clear, and `sops` without a MAC (kustomize-controller leaves it in)', async () => {
    const report = await check(
      decrypting('tool', {
        'config.sops.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: tool-config\n    namespace: tool\nspec:\n    x: 1\ndata:\n    a: ${enc('ZVrN')}\n${sopsBlock('')}`,
        'deployment.sops.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n    name: tool\n    namespace: tool\nspec:\n    replicas: two\n    selector:\n        matchLabels:\n            app: tool\n    template:\n        metadata:\n            labels:\n                app: tool\n        spec:\n            containers:\n                - name: tool\n                  image: ghcr.io/example/tool:1.0.0\n${sopsBlock('')}`,
        'nomac.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: nomac\n    namespace: tool\ndata:\n    a: b\nsops:\n    version: 3.10.2\n',
      }),
    );
    expect(errors(report).filter((e) => e.includes('[schema]') || /unknown field|must be/.test(e)).sort()).toEqual([
      'apps/tool/config.sops.yaml: /: unknown field "spec"',
      'apps/tool/deployment.sops.yaml: /spec/replicas: must be integer,null',
      'apps/tool/nomac.yaml: /: unknown field "sops"',
    ]);
  });
});

describe('a SOPS-encrypted object of any kind needs a Kustomization that decrypts it', () => {
  it('a ConfigMap, and an object whose identity is encrypted, applied without spec.decryption: errors', async () => {
    const report = await check(
      decrypting(
        'tool',
        {
          'config.sops.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: tool-config\n    namespace: tool\ndata:\n    a: ${enc('ZVrN')}\n${sopsBlock('')}`,
          'credentials.sops.yaml': `apiVersion: ${enc('TBo=')}\nkind: ${enc('5g8R+fOG')}\nmetadata:\n    name: ${enc('luIndH/TQIXUauyynUgK24cBnBEjQIja7hE=')}\nstringData:\n    token: ${enc('GeRhAj7xAp1w9tTXQ8b9bayzbLGCPtks')}\n${sopsBlock('')}`,
        },
        false,
      ),
    );
    expect(errors(report).filter((e) => e.includes('SOPS-encrypted')).sort()).toEqual([
      'apps/tool/config.sops.yaml: is SOPS-encrypted, but Kustomization tool applies it without spec.decryption (provider: sops): Flux would apply the ciphertext',
      'apps/tool/credentials.sops.yaml: is SOPS-encrypted, but Kustomization tool applies it without spec.decryption (provider: sops): Flux would apply the ciphertext',
    ]);
  });
});

describe('the secret scan: what SOPS leaves in the clear by the file\'s own rules (sulibot)', () => {
  const secret = (values: string, rule: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n    name: csi-ceph-admin-secret\n    namespace: ceph\nstringData:\n${values}${sopsBlock(rule)}`;
  it('a key encrypted_regex, encrypted_suffix, unencrypted_regex or unencrypted_suffix leaves in the clear is no edit after encryption', async () => {
    const report = await check(
      decrypting('ceph', {
        'regex.yaml': secret(`    userID: admin\n    userKey: ${enc('vK5Xn8nT723VlVWWngZtmbiygEMGd5FikYNZvlgVhxIC')}\n`, '    encrypted_regex: ^(adminKey|userKey|api_key|MIKROTIK_PASSWORD|credentials\\.json)$\n').replace('csi-ceph-admin-secret', 'a'),
        'suffix.yaml': secret(`    user: admin\n    key_encrypted: ${enc('vK5X')}\n`, '    encrypted_suffix: _encrypted\n').replace('csi-ceph-admin-secret', 'b'),
        'unregex.yaml': secret(`    userID: admin\n    userKey: ${enc('vK5X')}\n`, '    unencrypted_regex: ^userID$\n').replace('csi-ceph-admin-secret', 'c'),
        'default.yaml': secret(`    userID_unencrypted: admin\n    userKey: ${enc('vK5X')}\n`, '').replace('csi-ceph-admin-secret', 'd'),
      }),
    );
    expect(errors(report).filter((e) => e.includes('SOPS'))).toEqual([]);
  });

  it('still catches a value the rules say is encrypted, left or put in the clear', async () => {
    const report = await check(
      decrypting('ceph', {
        'regex.yaml': secret('    userID: admin\n    userKey: AQBxyz123plaintextkey==\n', '    encrypted_regex: ^(adminKey|userKey)$\n').replace('csi-ceph-admin-secret', 'a'),
        'whole.yaml': secret(`    userID: admin\n    userKey: ${enc('vK5X')}\n`, '    encrypted_regex: ^(data|stringData)$\n').replace('csi-ceph-admin-secret', 'b'),
        'default.yaml': secret(`    userID: admin\n    userKey: ${enc('vK5X')}\n`, '').replace('csi-ceph-admin-secret', 'c'),
      }),
    );
    expect(errors(report).filter((e) => e.includes('SOPS')).sort()).toEqual([
      'apps/ceph/default.yaml: Secret has SOPS metadata but plaintext values (userID): it was edited after encryption; re-encrypt it with sops',
      'apps/ceph/regex.yaml: Secret has SOPS metadata but plaintext values (userKey): it was edited after encryption; re-encrypt it with sops',
      'apps/ceph/whole.yaml: Secret has SOPS metadata but plaintext values (userID): it was edited after encryption; re-encrypt it with sops',
    ]);
  });
});

/** Cluster prod applying apps/app/ through a Kustomization that substitutes from a Secret not in the repository. */
const substituting = (files: Record<string, string>) =>
  cluster({
    'clusters/prod/app.yaml': fluxKustomization('app', './apps/app', '  targetNamespace: app\n  postBuild:\n    substituteFrom:\n      - kind: Secret\n        name: cluster-secrets\n'),
    'apps/app/kustomization.yaml': kustomization(`resources:\n${['namespace.yaml', ...Object.keys(files)].map((f) => `  - ${f}\n`).join('')}`),
    'apps/app/namespace.yaml': namespace('app'),
    ...Object.fromEntries(Object.entries(files).map(([f, t]) => [`apps/app/${f}`, t])),
  });
const plainSecret = (name: string, stringData: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\ntype: Opaque\nstringData:\n${stringData}`;

describe('the secret scan: credentials that are Flux variables inside a longer value (Biohazard)', () => {
  it('a repository path after a variable, an rclone.conf and a pgBackRest s3.conf whose keys are variables hold no plaintext', async () => {
    const report = await check(
      substituting({
        'secrets.yaml': [
          plainSecret('app-restic', '  RESTIC_REPOSITORY: "${SECRET_VOLSYNC_R2_REPO}/app/config"\n  RESTIC_PASSWORD: "${SECRET_VOLSYNC_PASSWORD}"\n'),
          plainSecret('app-rclone', '  rclone.conf: |\n    [r2]\n    type = s3\n    provider = Cloudflare\n    endpoint = ${SECRET_R2_ENDPOINT}\n    env_auth = false\n    access_key_id = ${SECRET_R2_ID}\n    secret_access_key = ${SECRET_R2_KEY}\n'),
          plainSecret('app-pgbackrest', '  s3.conf: |\n    [global]\n    repo2-s3-key=${SECRET_PGBACKREST_R2_ID}\n    repo2-s3-key-secret=${SECRET_PGBACKREST_R2_KEY}\n'),
          plainSecret('app-lounge', '  config.js: |\n    module.exports = {\n      password: "",\n      rootPassword: "${SECRET_LOUNGE_ROOT}",\n      url: "https://${APP_HOST}/lounge",\n    };\n'),
        ].join('---\n'),
      }),
    );
    expect(errors(report)).toEqual([]);
  });

  it('still catches a literal beside the variables: a config key, a password with a variable suffix, a URL\'s password', async () => {
    const report = await check(
      substituting({
        'secrets.yaml': [
          plainSecret('app-rclone', '  rclone.conf: |\n    [r2]\n    endpoint = ${SECRET_R2_ENDPOINT}\n    secret_access_key = hunter2hunter2\n'),
          plainSecret('app-restic', '  RESTIC_PASSWORD: "hunter2-${SUFFIX}"\n'),
          plainSecret('app-db', '  DATABASE_URL: "postgres://app:hunter2@${DB_HOST}/app"\n'),
        ].join('---\n'),
      }),
    );
    expect(errors(report).filter((e) => e.includes('plaintext')).sort()).toEqual([
      'apps/app/secrets.yaml: Secret holds plaintext values (DATABASE_URL): encrypt it (SOPS) or seal it',
      'apps/app/secrets.yaml: Secret holds plaintext values (RESTIC_PASSWORD): encrypt it (SOPS) or seal it',
      'apps/app/secrets.yaml: Secret holds plaintext values (rclone.conf): encrypt it (SOPS) or seal it',
    ]);
  });
});

describe('the secret scan: code and YAML structure, not literals (sulibot, Biohazard)', () => {
  const seed = (entries: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shelfmark\nspec:\n  selector:\n    matchLabels:\n      app: shelfmark\n  template:\n    metadata:\n      labels:\n        app: shelfmark\n    spec:\n      containers:\n        - name: seed-config\n          image: ghcr.io/example/shelfmark:1.0.0\n          command:\n            - /bin/sh\n            - -ec\n          args:\n            - |\n              python - <<'PY'\n              import json, os\n              desired = {\n${entries}              }\n              print(json.dumps(desired))\n              PY\n`;
  const release = (env: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: authentik-values\ndata:\n  values.yaml: |\n    placeholder: true\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: authentik\nspec:\n  selector:\n    matchLabels:\n      app: authentik\n  template:\n    metadata:\n      labels:\n        app: authentik\n    spec:\n      containers:\n        - name: server\n          image: ghcr.io/goauthentik/server:2025.6.0\n          env:\n${env}`;

  it('a Python dictionary whose values are os.getenv(...) calls in a heredoc', async () => {
    const report = await check(substituting({ 'deployment.yaml': seed('                  "OIDC_CLIENT_SECRET": os.getenv("OIDC_CLIENT_SECRET", ""),\n                  "QBITTORRENT_PASSWORD": os.getenv("QBITTORRENT_PASSWORD", ""),\n                  "NZBGET_PASSWORD": getenv(\'NZBGET_PASSWORD\'),\n') }));
    expect(errors(report)).toEqual([]);
  });

  it('a YAML anchor after a password key (its value the mapping below) and its alias', async () => {
    const report = await check(
      substituting({
        'helmrelease.yaml':
          'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: authentik\nspec:\n  interval: 30m\n  chart:\n    spec:\n      chart: app-template\n      version: 4.2.0\n      sourceRef:\n        kind: HelmRepository\n        name: bjw-s\n  values:\n    controllers:\n      authentik:\n        containers:\n          main:\n            env:\n              AUTHENTIK_POSTGRESQL__PASSWORD: &pgpass\n                valueFrom:\n                  secretKeyRef:\n                    name: pg-authentik-app\n                    key: password\n          worker:\n            env:\n              AUTHENTIK_POSTGRESQL__PASSWORD: *pgpass\n',
      }),
    );
    expect(errors(report).filter((e) => e.includes('literal'))).toEqual([]);
  });

  it('still catches a literal in the same places: a quoted string in the dictionary, an anchored literal', async () => {
    const code = await check(substituting({ 'deployment.yaml': seed('                  "OIDC_CLIENT_SECRET": "s3cr3t-value",\n                  "QBITTORRENT_PASSWORD": os.getenv("QBITTORRENT_PASSWORD", ""),\n') }));
    expect(errors(code)).toEqual(['apps/app/deployment.yaml: line 25: OIDC_CLIENT_SECRET has a literal value; reference a Secret instead']);
    const anchored = await check(substituting({ 'deployment.yaml': release('            - name: DB_PASSWORD\n              value: x\n            - name: OTHER\n              password: &pw hunter2\n') }));
    expect(errors(anchored).filter((e) => e.includes('literal'))).toEqual(['apps/app/deployment.yaml: line 29: password has a literal value; reference a Secret instead']);
  });
});

describe('the secret scan: Argo CD\'s $key references in argocd-cm (mmalyska/home-ops)', () => {
  const cm = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\ndata:\n  oidc.config: |\n    name: Keycloak\n    clientID: argocd\n    clientSecret: ${value}\n`;
  it('$<key> and $<secret>:<key> read argocd-secret or another Secret, a dotted key in any case; a literal is still one', async () => {
    for (const ref of ['$oidc.keycloak.clientSecret', '$argocd-oidc:clientSecret', '$oidc.clientSecret']) {
      const report = await check(cluster({ 'clusters/prod/argocd-cm.yaml': cm(ref) }));
      expect(errors(report).filter((e) => e.includes('literal')), ref).toEqual([]);
    }
    const literal = await check(cluster({ 'clusters/prod/argocd-cm.yaml': cm('hunter2secret') }));
    expect(errors(literal).filter((e) => e.includes('literal'))).toEqual(['clusters/prod/argocd-cm.yaml: line 10: clientSecret has a literal value; reference a Secret instead']);
  });
});

describe('a SOPS-encrypted object an operator decrypts in the cluster (kid/home-ops: sops-operator SopsSecret)', () => {
  it('needs no Kustomization that decrypts it; a Secret beside it does', async () => {
    const sopsSecret = `apiVersion: addons.projectcapsule.dev/v1alpha1\nkind: SopsSecret\nmetadata:\n    name: token\n    namespace: tool\nspec:\n    secrets:\n        - name: token\n          stringData:\n            token: ${enc('WpXOwOFoXwM3YhBJ')}\n${sopsBlock('    encrypted_suffix: Templates\n')}`;
    const report = await check(decrypting('tool', { 'sopssecret.yaml': sopsSecret }, false));
    expect(errors(report).filter((e) => e.includes('SOPS-encrypted'))).toEqual([]);
  });
});
