/**
 * The READMEs' recipes are code: every shell block the generator writes is parsed (bash -n),
 * shellchecked and run, exactly as printed, against stub kubectl/kubeseal/sops/flux/helm/argocd/npx
 * (test/fixtures/recipe-stubs) that check their arguments and record them. Offline kubectl commands
 * (--dry-run=client, --local) run the real kubectl. What a recipe makes is then opened independently:
 * SOPS files with sops-age's age and the MAC check, SealedSecrets with the controller's private key.
 */
import { execa, execaSync } from 'execa';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { BIN, git, isolatedEnv, listFiles, ROOT, runBin, tempDir } from '../helpers.js';
import { decryptAndVerify } from '../sops-verify.js';
import { unseal } from '../unseal.js';

const STUBS = join(ROOT, 'test', 'fixtures', 'recipe-stubs');
const REAL_KUBECTL = execaSync('sh', ['-c', 'command -v kubectl']).stdout.trim();
const SCP_REMOTE = 'git@gitlab.example.nl:platform/gitops.git';
const HTTPS_REMOTE = 'https://gitlab.example.nl/platform/gitops.git';

interface Block {
  lang: string;
  text: string;
  readme: string;
}

function blocks(dir: string, readme: string): Block[] {
  const out: Block[] = [];
  const re = /^```(\w+)\n([\s\S]*?)^```$/gm;
  const text = readFileSync(join(dir, readme), 'utf8');
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ lang: m[1], text: m[2], readme });
  return out;
}

const readmes = (dir: string) => listFiles(dir).filter((f) => f.endsWith('README.md'));

/** A value no shell or YAML rule can pass through unchanged by accident. */
const typed = (n: number) => `v${n}-p@ss w"rd'$HOME;|\`x\`-${'z'.repeat(n % 5)}`;

interface Run {
  log: string;
  /** What the block printed (stdout and stderr). */
  output: string;
  /** prompt text → the value typed at it */
  answers: Map<string, string>;
}

/** Runs one block as a user pasting it into bash would (errors stop it), typing a value at each prompt. */
async function runBlock(dir: string, block: Block, env: Record<string, string>): Promise<Run> {
  const prompts = [...block.text.matchAll(/^read -rs?p '([^']+): '/gm)].map((m) => m[1]);
  const answers = new Map(prompts.map((p, i) => [p, typed(i)]));
  const log = join(dir, '..', 'stub.log');
  writeFileSync(log, '');
  // The user's home, outside the repository, with the deploy key the Argo CD recipe reads.
  const home = join(dir, '..', 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  writeFileSync(join(home, '.ssh', 'gitops-deploy-key'), '-----BEGIN OPENSSH PRIVATE KEY-----\nstub\n-----END OPENSSH PRIVATE KEY-----\n');
  const result = await execa('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', block.text], {
    cwd: dir,
    input: [...answers.values()].map((v) => `${v}\n`).join(''),
    env: {
      ...isolatedEnv(home),
      PATH: `${STUBS}:${process.env.PATH}`,
      STUB_CERT: certificate.cert,
      STUB_LOG: log,
      REAL_KUBECTL,
      HAVEN_PLUS_NODE: process.execPath,
      HAVEN_PLUS_BIN: BIN,
      HAVEN_PLUS_DIST: join(ROOT, 'dist'),
      // A user's git has an identity: the recipes commit (the Sealed Secrets certificate).
      GIT_AUTHOR_NAME: 'Platform Engineer',
      GIT_AUTHOR_EMAIL: 'platform@gemeente.example.nl',
      GIT_COMMITTER_NAME: 'Platform Engineer',
      GIT_COMMITTER_EMAIL: 'platform@gemeente.example.nl',
      HAVEN_PLUS_YAML: pathToFileURL(createRequire(import.meta.url).resolve('yaml')).href,
      ...env,
    },
    extendEnv: false,
    reject: false,
    all: true,
    timeout: 60_000,
  });
  expect(result.exitCode, `${block.readme}:\n${block.text}\n--- output:\n${result.all}\n--- stubs:\n${readFileSync(log, 'utf8')}`).toBe(0);
  return { log: readFileSync(log, 'utf8'), output: result.all ?? '', answers };
}

/** Every shell block of every README parses and passes shellcheck; every YAML block parses. */
async function lint(dir: string): Promise<number> {
  let count = 0;
  for (const readme of readmes(dir)) {
    for (const b of blocks(dir, readme)) {
      if (b.lang === 'yaml') {
        for (const d of parseAllDocuments(b.text, { uniqueKeys: true })) expect(d.errors, `${readme}:\n${b.text}`).toEqual([]);
        continue;
      }
      expect(b.lang, readme).toBe('sh');
      const syntax = await execa('bash', ['-n'], { input: b.text, reject: false });
      expect(syntax.exitCode, `${readme}:\n${b.text}\n${syntax.stderr}`).toBe(0);
      const check = await execa('shellcheck', ['-s', 'bash', '-'], { input: b.text, reject: false });
      expect(check.exitCode, `${readme}:\n${b.text}\n${check.stdout}`).toBe(0);
      count++;
    }
  }
  return count;
}

async function generate(args: string[], env: Record<string, string> = {}): Promise<{ cwd: string; dir: string }> {
  const cwd = tempDir();
  const run = await runBin(['platform', '--yes', ...args], { cwd, env });
  expect(run.exitCode, run.all).toBe(0);
  return { cwd, dir: join(cwd, 'platform') };
}

/** A copy of the repository (with its git history) to run one route in. */
async function copyOf(dir: string, name: string): Promise<string> {
  const copy = join(dir, '..', name);
  cpSync(dir, copy, { recursive: true });
  return copy;
}

const isEnvRecipe = (b: Block) => b.lang === 'sh' && /^haven-plus \./m.test(b.text) && b.text.includes('export HAVEN_PLUS_SECRET_');
const isHandRecipe = (b: Block) => b.lang === 'sh' && /create secret generic (?!sops-age)/.test(b.text) && /(sops encrypt|kubeseal --controller-name)/.test(b.text);
const isSandbox = (b: Block) => /^make sandbox/m.test(b.text);

/** The bootstrap and watch blocks of a cluster README, in order (not the secret recipes, run separately). */
async function runBootstrap(dir: string, readme: string, env: Record<string, string> = {}): Promise<string> {
  let log = '';
  for (const b of blocks(dir, readme).filter((x) => x.lang === 'sh' && !isEnvRecipe(x) && !isHandRecipe(x) && !isSandbox(x))) {
    log += (await runBlock(dir, b, env)).log;
  }
  return log;
}

/** Secret files of a repository with the prompt they were typed at, opened by `open`. */
async function checkSecrets(
  dir: string,
  answers: Map<string, string>,
  suffix: string,
  open: (text: string, namespace: string, name: string) => Promise<Record<string, string>>,
  promptOf: (namespace: string, name: string, key: string) => string,
): Promise<number> {
  let checked = 0;
  for (const file of listFiles(dir).filter((f) => f.endsWith(suffix) && f !== '.sops.yaml')) {
    const text = readFileSync(join(dir, file), 'utf8');
    const meta = (parse(text) as { metadata: { name: string; namespace: string } }).metadata;
    const values = await open(text, meta.namespace, meta.name);
    for (const [key, value] of Object.entries(values)) {
      const prompt = promptOf(meta.namespace, meta.name, key);
      expect(answers.has(prompt), `${file}: no prompt ${prompt}`).toBe(true);
      expect(value, `${file} ${key}`).toBe(answers.get(prompt));
      checked++;
    }
  }
  return checked;
}

const sopsOpener = (identity: string) => async (text: string) => {
  const { plain, macOk } = await decryptAndVerify(text, identity);
  expect(macOk).toBe(true);
  const secret = plain as { data?: Record<string, string>; stringData?: Record<string, string> };
  return secret.stringData ?? Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
};

const sealedOpener = (privateKey: string) => async (text: string, namespace: string, name: string) => {
  const sealed = parse(text) as { spec: { encryptedData: Record<string, string> } };
  return Object.fromEntries(Object.entries(sealed.spec.encryptedData).map(([k, v]) => [k, unseal(privateKey, v, `${namespace}/${name}`)]));
};

async function commitAll(dir: string, message: string): Promise<void> {
  await git(dir, ['add', '-A']);
  await git(dir, ['-c', 'user.name=Tester', '-c', 'user.email=t@example.nl', 'commit', '-qm', message]);
}

async function validate(dir: string): Promise<void> {
  const run = await runBin(['validate', '.'], { cwd: dir });
  expect(run.exitCode, run.all).toBe(0);
}

const PRESET = ['--preset', 'haven-plus', '--acme-email', 'platform@gemeente.example.nl', '--keycloak-hostname', 'sso.{cluster}.gemeente.example.nl'];

/** The test's Sealed Secrets controller: its certificate (kubeseal --fetch-cert prints it) and private key. */
const certificate = { cert: '', key: '' };
beforeAll(async () => {
  const cwd = tempDir();
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=sealed-secret/O=sealed-secret', '-keyout', 'key.pem', '-out', 'cert.pem'], { cwd });
  certificate.cert = join(cwd, 'cert.pem');
  certificate.key = join(cwd, 'key.pem');
});

const envPrompt = (name: string, key: string) => `HAVEN_PLUS_SECRET_${name}__${key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/**
 * Runs a cluster README as a user would: bootstrap blocks, then on one copy the environment recipe
 * (haven-plus makes the files), on another the by-hand recipe (commit, then haven-plus wires them in).
 * Returns how many secret values were checked, per route.
 */
async function secretRoutes(
  dir: string,
  readme: string,
  suffix: string,
  open: (text: string, namespace: string, name: string) => Promise<Record<string, string>>,
  env: Record<string, string> = {},
): Promise<{ byEnvironment: number; byHand: number; envCopy: string; handCopy: string }> {
  const all = blocks(dir, readme);
  const envBlock = all.find(isEnvRecipe)!;
  const handBlock = all.find(isHandRecipe)!;
  expect(envBlock, `${readme} has an environment recipe`).toBeDefined();
  expect(handBlock, `${readme} has a by-hand recipe`).toBeDefined();

  const envCopy = await copyOf(dir, 'by-environment');
  const byEnv = await runBlock(envCopy, envBlock, env);
  expect(await git(envCopy, ['status', '--porcelain'])).toBe('');
  const byEnvironment = await checkSecrets(envCopy, byEnv.answers, suffix, open, (_ns, name, key) => envPrompt(name, key));
  await validate(envCopy);

  const handCopy = await copyOf(dir, 'by-hand');
  const byHandRun = await runBlock(handCopy, handBlock, env);
  // No value reached a command line: kubectl reads each from a file descriptor.
  for (const value of byHandRun.answers.values()) expect(byHandRun.log).not.toContain(`kubectl ${value}`);
  expect(byHandRun.log).not.toMatch(/--from-literal=[A-Za-z_-]+=v\d/);
  await commitAll(handCopy, 'chore: secrets sealed by hand');
  const rerun = await runBin(['.'], { cwd: handCopy, env });
  expect(rerun.exitCode, rerun.all).toBe(0);
  expect(await git(handCopy, ['status', '--porcelain'])).toBe('');
  const byHand = await checkSecrets(handCopy, byHandRun.answers, suffix, open, (ns, name, key) => `${ns}/${name} ${key}`);
  await validate(handCopy);
  return { byEnvironment, byHand, envCopy, handCopy };
}

describe('README recipes, run as printed', () => {
  it('Flux + SOPS: the key first on every route, an scp-like remote Flux accepts, both secret recipes store what was typed', async () => {
    const keys = join(tempDir(), 'keys.txt');
    const env = { SOPS_AGE_KEY_FILE: keys };
    const { dir } = await generate(['--provider', 'ovhcloud', ...PRESET, '--git-remote', SCP_REMOTE, '--age-generate'], env);
    expect(await lint(dir)).toBeGreaterThan(4);
    const readme = 'clusters/prod/README.md';
    const text = readFileSync(join(dir, readme), 'utf8');
    // The key is loaded before any route starts Flux; the remote is in the form Flux parses.
    expect(text.indexOf('sops-age --from-file=age.agekey=/dev/stdin')).toBeGreaterThan(0);
    expect(text.indexOf('sops-age --from-file=age.agekey=/dev/stdin')).toBeLessThan(text.indexOf('flux bootstrap git'));
    expect(text).not.toContain(SCP_REMOTE);
    // Applied from a heredoc in the Flux Operator route's block.
    const heredoc = /<<'EOF'\n([\s\S]*?)^EOF$/m.exec(blocks(dir, readme).find((b) => b.text.includes('kind: FluxInstance'))!.text)![1];
    const fluxInstance = parse(heredoc) as { kind: string; spec: { sync: { url: string; pullSecret?: string } } };
    expect(fluxInstance.kind).toBe('FluxInstance');
    expect(fluxInstance.spec.sync.url).toBe('ssh://git@gitlab.example.nl/platform/gitops.git');
    // Over SSH the Flux Operator's sync needs the deploy key too: the Secret the recipe makes.
    expect(fluxInstance.spec.sync.pullSecret).toBe('flux-system');

    const log = await runBootstrap(dir, readme, env);
    const identity = /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m.exec(readFileSync(keys, 'utf8'))![0];
    expect(log).toContain(`sops-age key ${identity}`);
    // Over SSH with the deploy key the README names (the stub refuses an ssh:// URL without an existing key file).
    expect(log).toMatch(/^flux bootstrap git --url=ssh:\/\/git@gitlab.example.nl\/platform\/gitops.git --branch=main --private-key-file=\S+\/.ssh\/gitops-deploy-key --path=clusters\/prod$/m);
    expect(log).toMatch(/^flux create source git flux-system --url=ssh:\/\/git@gitlab.example.nl\/platform\/gitops.git --private-key-file=\S+\/.ssh\/gitops-deploy-key --branch=main$/m);
    expect(log).toMatch(/^flux create secret git flux-system --url=ssh:\/\/git@gitlab.example.nl\/platform\/gitops.git --private-key-file=\S+\/.ssh\/gitops-deploy-key$/m);
    // The Flux Operator route waits for the FluxInstance CRD the operator installs before applying one.
    expect(log.indexOf('kubectl wait --for condition=established --timeout=2m crd/fluxinstances.fluxcd.controlplane.io')).toBeGreaterThan(log.indexOf('helm install flux-operator'));
    expect(log.indexOf('applied kind: FluxInstance')).toBeGreaterThan(log.indexOf('kubectl wait --for condition=established'));
    // A self-hosted GitLab: its host, group and project from the remote, the token from the environment.
    expect(log).toMatch(/^flux bootstrap gitlab --hostname=gitlab.example.nl --owner=platform --repository=gitops --branch=main --path=clusters\/prod$/m);

    // No Secret yet: no Kustomization decrypts, so nothing waits for the key.
    expect(listFiles(dir).filter((f) => f.startsWith('clusters/prod/infrastructure/') && readFileSync(join(dir, f), 'utf8').includes('decryption'))).toEqual([]);

    const { byEnvironment, byHand, handCopy } = await secretRoutes(dir, readme, '.sops.yaml', sopsOpener(identity), env);
    // 6 s3-credentials × 2 keys + Velero's repository password.
    expect(byEnvironment).toBe(13);
    expect(byHand).toBe(13);
    // Exactly the Kustomizations that now hold an encrypted file decrypt.
    const velero = readFileSync(join(handCopy, 'clusters/prod/infrastructure/velero.yaml'), 'utf8');
    expect(velero).toContain('secretRef:\n      name: sops-age');
    expect(readFileSync(join(handCopy, 'clusters/prod/infrastructure/cert-manager.yaml'), 'utf8')).not.toContain('decryption');
  });

  it('Argo CD + Sealed Secrets: install, hand over the repository, fetch the certificate, seal by either recipe', async () => {
    const env = {};
    const { dir } = await generate(['--engine', 'argocd', '--provider', 'scaleway', ...PRESET, '--git-remote', SCP_REMOTE, '--secrets', 'sealed-secrets']);
    expect(await lint(dir)).toBeGreaterThan(4);
    // What a real cluster needs from this output (issue 20): cert-manager's leader election in its own namespace
    // (the project does not allow kube-system), the Gateway's proxies admitted to the HTTP-01 solver in the
    // default-deny keycloak namespace, keycloak-config after gateway-config, fail-closed webhooks replicated.
    const read = (path: string) => readFileSync(join(dir, path), 'utf8');
    expect(parse(read('infrastructure/cert-manager/controller/base/cert-manager.values.yaml'))).toMatchObject({ global: { leaderElection: { namespace: 'cert-manager' } } });
    expect(read('clusters/prod/apps/project.yaml')).not.toContain('kube-system');
    const solver = parse(read('infrastructure/keycloak/config/overlays/prod/acme-solver-network-policy.yaml')) as { spec: { podSelector: unknown; ingress: { from: { namespaceSelector: unknown }[]; ports: unknown[] }[] } };
    expect(solver.spec.podSelector).toEqual({ matchLabels: { 'acme.cert-manager.io/http01-solver': 'true' } });
    expect(solver.spec.ingress[0].from[0].namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } });
    expect(solver.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 8089 }]);
    expect(read('clusters/prod/apps/keycloak-config.yaml')).toMatch(/after .*gateway-config/);
    expect(parse(read('infrastructure/cert-manager/controller/overlays/prod/cert-manager.values.yaml'))).toMatchObject({ webhook: { replicaCount: 3, podDisruptionBudget: { enabled: true } } });
    const readme = 'clusters/prod/README.md';
    // The forge's host is not one Argo CD's chart knows: its keys go into Argo CD's values first, as the README says.
    const all = blocks(dir, readme);
    const keyscan = all.find((b) => b.text.includes('ssh-keyscan'))!;
    expect(keyscan.text).toContain('ssh-keyscan -p 22 gitlab.example.nl');
    const scanned = await runBlock(dir, keyscan, env);
    expect(scanned.log).toBe('ssh-keyscan -p 22 gitlab.example.nl\n');
    const hostLine = scanned.output.split('\n').find((l) => l.startsWith('gitlab.example.nl ssh-ed25519 '))!;
    expect(scanned.output).toMatch(/^256 SHA256:\S+ gitlab\.example\.nl \(ED25519\)$/m);
    const example = all[all.indexOf(keyscan) + 1];
    expect(example.lang).toBe('yaml');
    const valuesFile = 'infrastructure/argocd/controller/base/argocd.values.yaml';
    expect(readFileSync(join(dir, readme), 'utf8')).toContain(`Then put those lines in \`${valuesFile}\`, under \`configs.ssh.extraHosts\``);
    const values = parse(read(valuesFile)) as { configs: Record<string, unknown> };
    const extra = parse(example.text.replace(/^( +)gitlab\.example\.nl ssh-ed25519 .*$/m, `$1${hostLine}`)) as { configs: { ssh: { extraHosts: string } } };
    expect(extra.configs.ssh.extraHosts).toBe(`${hostLine}\n`);
    values.configs.ssh = extra.configs.ssh;
    writeFileSync(join(dir, valuesFile), stringify(values));
    await commitAll(dir, 'chore: the SSH host keys of gitlab.example.nl for Argo CD');
    // The edited values are still valid against the pinned chart.
    await validate(dir);
    const log = await runBootstrap(dir, readme, env);
    expect(log).toContain('helm install argocd argo-cd');
    expect(log).toContain(`kubectl -n argocd create secret generic gitops-repository --from-literal=type=git --from-literal=url=${SCP_REMOTE}`);
    expect(log).toContain('applied kind: Secret');
    expect(log).toContain('kubectl apply -f clusters/prod/apps/root.yaml');
    // The certificate block wrote the controller's certificate where haven-plus looks for it.
    expect(readFileSync(join(dir, 'clusters/prod/sealed-secrets.pem'), 'utf8')).toBe(readFileSync(certificate.cert, 'utf8'));
    // The certificate block committed it, as the README says (a re-run refuses uncommitted changes).
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    expect(await git(dir, ['log', '-1', '--format=%s'])).toContain('chore: the Sealed Secrets controller certificate of prod');

    const privateKey = readFileSync(certificate.key, 'utf8');
    const apps = (root: string) => new Map(listFiles(root).filter((f) => f.startsWith('clusters/prod/apps/')).map((f) => [f, readFileSync(join(root, f), 'utf8')]));
    const before = apps(dir);
    const { byEnvironment, byHand, envCopy, handCopy } = await secretRoutes(dir, readme, '.sealed-secret.yaml', sealedOpener(privateKey), env);
    // Sealing changes no Application: the root, waiting in its wave for loki, velero... to become healthy,
    // skips auto-sync meanwhile, so a change it had to apply would never arrive.
    expect(apps(envCopy)).toEqual(before);
    expect(apps(handCopy)).toEqual(before);
    expect(byEnvironment).toBe(13);
    expect(byHand).toBe(13);
    // A chart's Secret sealed by hand is read by its Application: velero's install-time Secrets are a source.
    const velero = parse(readFileSync(join(handCopy, 'clusters/prod/apps/velero.yaml'), 'utf8').replace(/^#.*$/gm, '')) as { spec: { sources: { path?: string }[] } };
    const paths = velero.spec.sources.flatMap((s) => (s.path ? [s.path] : []));
    expect(paths.length).toBe(1);
    expect(existsSync(join(handCopy, paths[0], 'velero-repo-credentials.sealed-secret.yaml'))).toBe(true);
  });

  it.each([
    ['flux', 'sealed-secrets'],
    ['flux', 'external-secrets'],
    ['argocd', 'external-secrets'],
  ])('%s + %s: every block of every README runs clean', async (engine, secrets) => {
    const { dir } = await generate(['--engine', engine, '--provider', 'ovhcloud', ...PRESET, '--git-remote', HTTPS_REMOTE, '--secrets', secrets, ...(secrets === 'external-secrets' ? ['--secret-store', 'platform-store'] : [])]);
    expect(await lint(dir)).toBeGreaterThan(2);
    const log = await runBootstrap(dir, 'clusters/prod/README.md');
    expect(log).toMatch(engine === 'flux' ? /^flux bootstrap git --url=https:/m : /^helm install argocd/m);
    // The provider's buckets, made with the key typed at the prompts (the aws stub checks names, endpoint and region).
    expect(log).toMatch(/^ovhcloud cloud storage-s3 create GRA --name [a-z0-9-]+-prod-loki-chunks --cloud-project v0/m);
    await runBootstrap(dir, 'README.md');
  });

  it('an Argo CD hub: the registration recipe (a heredoc) runs clean', async () => {
    const { dir } = await generate(['--engine', 'argocd', '--topology', 'hub', '--clusters', 'hub,prod', '--provider', 'ovhcloud', '--components', 'object-storage,postgres', '--git-remote', HTTPS_REMOTE, '--secrets', 'external-secrets', '--secret-store', 'platform-store']);
    expect(await lint(dir)).toBeGreaterThan(3);
    const log = await runBootstrap(dir, 'clusters/hub/README.md');
    expect(log).toContain('kubectl -n kube-system create serviceaccount argocd-manager');
    expect(log).toContain('applied kind: Secret');
    await runBootstrap(dir, 'clusters/prod/README.md');
  });
});

describe("the provider's object storage: its key and buckets, run as printed", () => {
  // What each provider's recipe must run (the stubs check the command exists and its arguments are filled in).
  const expected: Record<string, RegExp[]> = {
    exoscale: [/^exo storage mb sos:\/\/platform-prod-loki-chunks --zone de-fra-1$/m, /^exo iam role create platform-prod-s3 --policy .*parameters\.bucket in \[\\"platform-prod-loki-chunks\\", \\"platform-prod-loki-ruler\\"\]/m, /^exo iam api-key create platform-prod-s3 platform-prod-s3$/m],
    scaleway: [/^scw object bucket create platform-prod-loki-ruler region=nl-ams project-id=v0/m, /^scw iam policy create name=platform-prod-s3 application-id=v1.* rules\.0\.permission-set-names\.0=ObjectStorageFullAccess$/m, /^scw iam api-key create /m],
    stackit: [/^stackit object-storage bucket create platform-prod-loki-chunks --project-id v0/m, /^stackit object-storage credentials create --credentials-group-id v1/m],
    // (The buckets with the CLI, before the user: ovh/ovhcloud-cli doc/ovhcloud_cloud_storage-s3_create.md.)
    ovhcloud: [/^ovhcloud cloud user s3-policy create v1.*"arn:aws:s3:::platform-prod-loki-ruler\/\*"/m, /^ovhcloud cloud storage-s3 create GRA --name platform-prod-loki-chunks --cloud-project v0/m],
    upcloud: [/^upctl object-storage bucket create v0.* --name platform-prod-loki-chunks$/m, /^upctl object-storage access-key create v0.* --username platform-prod-s3$/m, /^upctl object-storage user policy attach v0.* --username platform-prod-s3 --policy v1/m],
    ionos: [/^ionosctl compute user s3key create --user-id v0/m, /^aws s3 mb s3:\/\/platform-prod-loki-chunks --endpoint-url https:\/\/s3-eu-central-1\.ionoscloud\.com --region de$/m],
    cyso: [/^openstack ec2 credentials create$/m, /^aws s3 mb s3:\/\/platform-prod-loki-chunks --endpoint-url https:\/\/core\.fuga\.cloud:8080 --region us-east-1$/m],
    hetzner: [/^aws s3 mb s3:\/\/platform-prod-loki-chunks --endpoint-url https:\/\/fsn1\.your-objectstorage\.com --region fsn1$/m],
    otc: [/^aws s3 mb s3:\/\/platform-prod-loki-ruler --endpoint-url https:\/\/obs\.eu-de\.otc\.t-systems\.com --region eu-de$/m],
    leaseweb: [/^aws s3 mb s3:\/\/platform-prod-loki-chunks --endpoint-url https:\/\/nl\.object-storage\.io --region nl-01$/m],
    'odc-noord': [/^aws s3 mb s3:\/\/platform-prod-loki-chunks --endpoint-url https:\/\/objects\.gn2\.rijkscloud\.nl --region us-east-1$/m],
    previder: [/^aws s3 mb s3:\/\/platform-prod-loki-chunks --endpoint-url https:\/\/object\.previder\.nl --region us-east-1$/m],
  };
  it.each(Object.keys(expected))('%s', async (provider) => {
    const endpoint = provider === 'upcloud' ? ['--s3-endpoint', 'https://abc123.upcloudobjects.com'] : [];
    const { dir } = await generate(['--provider', provider, ...endpoint, '--components', 'loki', '--secrets', 'external-secrets', '--secret-store', 'platform-store']);
    const readme = readFileSync(join(dir, 'clusters/prod/README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Object storage'), readme.indexOf('\n### ', readme.indexOf('### Object storage') + 1));
    expect(section).toContain("The platform's access key: ");
    let log = '';
    for (const b of blocks(dir, 'clusters/prod/README.md').filter((x) => x.lang === 'sh' && section.includes(x.text))) {
      const check = await execa('shellcheck', ['-s', 'bash', '-'], { input: b.text, reject: false });
      expect(check.exitCode, `${b.text}\n${check.stdout}`).toBe(0);
      log += (await runBlock(dir, b, {})).log;
    }
    for (const line of expected[provider]) expect(log).toMatch(line);
  });

  // A day-2 bucket: the run prints the commands for the new bucket and the key's policy only (never the
  // first run's user and key lines again), and they run as printed.
  const later: Record<string, { run: RegExp[]; not: RegExp[] }> = {
    exoscale: { run: [/^exo storage mb sos:\/\/platform-prod-media --zone de-fra-1$/m, /^exo iam role update platform-prod-s3 --policy .*\\"platform-prod-loki-ruler\\", \\"platform-prod-media\\"\]/m], not: [/^exo iam (role|api-key) create/m, /loki-chunks --zone/] },
    scaleway: { run: [/^scw object bucket create platform-prod-media region=nl-ams project-id=v0/m], not: [/^scw iam/m] },
    ovhcloud: { run: [/^ovhcloud cloud storage-s3 create GRA --name platform-prod-media --cloud-project v0/m, /^ovhcloud cloud user s3-policy create v\d.*"arn:aws:s3:::platform-prod-media\/\*"/m], not: [/^ovhcloud cloud (user create|storage-s3 credentials)/m, /loki-chunks --cloud-project/m] },
    upcloud: { run: [/^upctl object-storage bucket create v0.* --name platform-prod-media$/m], not: [/^upctl object-storage (user|access-key)/m] },
  };
  it.each(Object.keys(later))('%s: a bucket added later', async (provider) => {
    const endpoint = provider === 'upcloud' ? ['--s3-endpoint', 'https://abc123.upcloudobjects.com'] : [];
    const { dir } = await generate(['--provider', provider, ...endpoint, '--components', 'loki', '--secrets', 'external-secrets', '--secret-store', 'platform-store']);
    const run = await runBin(['bucket', 'media', '--yes'], { cwd: dir });
    expect(run.exitCode, run.all).toBe(0);
    const lines = run.stderr.split('\n');
    const at = lines.findIndex((l) => /^ {4}prod \(.*\): platform-prod-media$/.test(l));
    expect(at, run.stderr).toBeGreaterThan(-1);
    const printed = lines.slice(at + 1, lines.findIndex((l, i) => i > at && !l.startsWith('      '))).map((l) => l.slice(6));
    const text = `${printed.join('\n')}\n`;
    const check = await execa('shellcheck', ['-s', 'bash', '-'], { input: text, reject: false });
    expect(check.exitCode, `${text}\n${check.stdout}`).toBe(0);
    const { log } = await runBlock(dir, { lang: 'sh', text, readme: 'the output of haven-plus bucket media' }, {});
    for (const line of later[provider].run) expect(log).toMatch(line);
    for (const line of later[provider].not) expect(log).not.toMatch(line);
  });
});
