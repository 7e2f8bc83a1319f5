/**
 * The laptop sandbox (--provider local): the generated files validate, the script passes shellcheck,
 * and it runs from start to end against stand-ins for docker, kind, kubectl and flux (test/fixtures/
 * sandbox-tools.sh), so its order of work, the working tree it pushes and the Secrets it makes are real.
 * Creating a kind cluster needs a container engine, which these machines do not have.
 */
import { execa } from 'execa';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isolatedEnv, ROOT, runBin, tempDir } from '../helpers.js';

const TOOLS = ['docker', 'kind', 'k3d', 'kubectl', 'flux', 'helm'];

async function generate(args: string[]): Promise<string> {
  const cwd = tempDir('sandbox-');
  const r = await runBin(['p', '--yes', ...args], { cwd });
  expect(r.exitCode, r.all).toBe(0);
  return join(cwd, 'p');
}

/** A bin directory with the stand-ins (all but `without`), and the log they write. */
function standIns(without: string[] = []): { bin: string; log: string } {
  const dir = tempDir('sandbox-tools-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const stub = join(dir, 'tools.sh');
  copyFileSync(join(ROOT, 'test', 'fixtures', 'sandbox-tools.sh'), stub);
  chmodSync(stub, 0o755);
  for (const tool of TOOLS.filter((t) => !without.includes(t))) symlinkSync(stub, join(bin, tool));
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  return { bin, log };
}

/** Runs the generated script with only the stand-ins, bash and the base system (git, tar) on PATH. */
async function runSandbox(repo: string, args: string[], bin: string, log: string) {
  return execa('bash', ['sandbox/sandbox.sh', ...args], {
    cwd: repo,
    env: { ...isolatedEnv(repo), PATH: `${bin}:/usr/bin:/bin`, SANDBOX_LOG: log, SANDBOX_TIMEOUT: '20' },
    extendEnv: false,
    stdin: 'ignore',
    all: true,
    reject: false,
    timeout: 60_000,
  });
}

/** The stand-ins' calls, and where the first one matching a pattern is (failing when none does). */
function callLog(log: string): { calls: string[]; at: (pattern: RegExp) => number } {
  const calls = readFileSync(log, 'utf8').split('\n');
  const at = (pattern: RegExp) => {
    const i = calls.findIndex((c) => pattern.test(c));
    expect(i, `no call matching ${pattern} in:\n${calls.join('\n')}`).toBeGreaterThanOrEqual(0);
    return i;
  };
  return { calls, at };
}

async function shellcheck(file: string): Promise<void> {
  const r = await execa('shellcheck', ['--severity=style', file], { reject: false, all: true }).catch((e: Error) => {
    throw new Error(`shellcheck is needed for this test (Debian package shellcheck; .ci/run installs it): ${e.message}`);
  });
  expect(r.exitCode, r.all).toBe(0);
}

describe('laptop sandbox (--provider local)', () => {
  it('Flux: kind config, Makefile, script and sync root are generated, validate, and pass shellcheck', async () => {
    const repo = await generate(['--clusters', 'dev,prod:ovhcloud', '--components', 'object-storage,postgres,velero']);
    // Only the sandbox cluster gets a kind config and a sync root; the other bootstraps from git.
    expect(existsSync(join(repo, 'sandbox/dev/kind.yaml'))).toBe(true);
    expect(existsSync(join(repo, 'sandbox/prod'))).toBe(false);
    expect(existsSync(join(repo, 'clusters/prod/flux-system'))).toBe(false);
    const kind = parse(readFileSync(join(repo, 'sandbox/dev/kind.yaml'), 'utf8'));
    expect(kind).toMatchObject({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', name: 'p-dev' });

    // Every Kustomization of the sandbox reads the OCIRepository the script pushes to; prod's read git.
    const sync = readFileSync(join(repo, 'clusters/dev/flux-system/sync.yaml'), 'utf8');
    expect(sync).toContain('url: oci://kind-registry:5000/haven-plus/p');
    expect(readFileSync(join(repo, 'clusters/dev/infrastructure/postgres.yaml'), 'utf8')).toContain('kind: OCIRepository');
    expect(readFileSync(join(repo, 'clusters/prod/infrastructure/postgres.yaml'), 'utf8')).not.toContain('OCIRepository');

    const validate = await runBin(['validate', repo], { cwd: repo });
    expect(validate.exitCode, validate.all).toBe(0);
    expect(validate.all).not.toMatch(/no schema found/);
    await shellcheck(join(repo, 'sandbox/sandbox.sh'));

    const make = await execa('make', ['--no-print-directory', 'help'], { cwd: repo, reject: false, all: true });
    expect(make.exitCode, make.all).toBe(0);
    expect(make.stdout).toMatch(/sandbox\s+Create the kind cluster CLUSTER, bootstrap Flux/);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toContain('`make sandbox` creates a kind cluster');
    expect(readFileSync(join(repo, 'clusters/dev/README.md'), 'utf8')).toContain('make sandbox CLUSTER=dev');
  });

  it('a kind config that breaks kind\'s schema is an error', async () => {
    const repo = await generate([]);
    const file = join(repo, 'sandbox/local/kind.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('role: control-plane', 'role: master'));
    const r = await runBin(['validate', repo], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/sandbox\/local\/kind\.yaml[\s\S]*\/nodes\/0\/role: must be equal to one of the allowed values/);
  });

  it('runs up from start to end: cluster, Flux, the working tree as artifact, Garage, Secrets, then waits', async () => {
    const repo = await generate(['--components', 'object-storage,postgres']);
    // An edit not yet committed goes along; an ignored file does not.
    writeFileSync(join(repo, 'infrastructure/postgres/config/base/notes.yaml'), 'kind: ConfigMap\n');
    writeFileSync(join(repo, 'local.agekey'), 'AGE-SECRET-KEY-1XYZ\n');
    const { bin, log } = standIns();
    const r = await runSandbox(repo, ['up'], bin, log);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('sandbox local is Ready');

    const { at } = callLog(log);
    const order = [
      at(/^docker run -d --restart=always -p 127\.0\.0\.1:5001:5000 --network bridge --name kind-registry docker\.io\/library\/registry:3$/),
      at(/^kind create cluster --name p-local --config sandbox\/local\/kind\.yaml/),
      at(/^docker network connect kind kind-registry$/),
      at(/^flux install --context kind-p-local$/),
      at(/^flux push artifact oci:\/\/localhost:5001\/haven-plus\/p:sandbox --path=\S+ --source=p --revision=sandbox@sha1:[0-9a-f]{40}$/),
      at(/^kubectl --context kind-p-local apply -f clusters\/local\/flux-system\/sync\.yaml$/),
      at(/^kubectl --context kind-p-local -n garage exec garage-0 -- \/garage layout assign -z sandbox -c 1G 563e0123/),
      at(/^kubectl --context kind-p-local -n garage exec garage-0 -- \/garage layout apply --version 1$/),
      at(/\/garage bucket create p-local-postgres$/),
      at(/\/garage bucket allow --read --write p-local-postgres --key GK31c2f218a2e44f485b94239e$/),
      at(/^kubectl --context kind-p-local -n flux-system wait kustomizations\.kustomize\.toolkit\.fluxcd\.io --all --for=condition=Ready/),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));

    // The artifact is the working tree as git would commit it.
    const artifact = readFileSync(`${log}.artifact`, 'utf8');
    expect(artifact).toContain('./clusters/local/flux-system/sync.yaml');
    expect(artifact).toContain('./infrastructure/postgres/config/base/notes.yaml');
    expect(artifact).not.toContain('local.agekey');
    expect(artifact).not.toContain('./.git/');

    // The Secret goes through stdin, never the command line, and only into the cluster.
    const secret = 'b892c0665f0ada8a4755dae98baa3b133590e11dae3bcc1f9d769d67f16c3835';
    expect(readFileSync(log, 'utf8')).not.toContain(secret);
    const applied = readFileSync(`${log}.stdin`, 'utf8');
    expect(applied).toContain('name: s3-credentials\n  namespace: databases');
    expect(applied).toContain(`S3_SECRET_ACCESS_KEY: "${secret}"`);
    expect(applied).toContain('[host."http://kind-registry:5000"]');
    const { stdout: status } = await execa('git', ['status', '--porcelain'], { cwd: repo });
    expect(status).not.toContain('sandbox');

    // A second `up` finds the cluster and does not create it again.
    writeFileSync(log, '');
    const again = await runSandbox(repo, ['up'], bin, log);
    expect(again.exitCode, again.all).toBe(0);
    expect(readFileSync(log, 'utf8')).not.toMatch(/^kind create cluster/m);
  });

  it('k3d: a k3d config (schema-checked), local-path storage, its registry, and a run from start to end', async () => {
    const repo = await generate(['--sandbox-runtime', 'k3d', '--components', 'object-storage,postgres']);
    expect(existsSync(join(repo, 'sandbox/local/kind.yaml'))).toBe(false);
    const config = parse(readFileSync(join(repo, 'sandbox/local/k3d.yaml'), 'utf8'));
    expect(config).toMatchObject({ apiVersion: 'k3d.io/v1alpha5', kind: 'Simple', metadata: { name: 'p-local' }, registries: { use: ['k3d-haven-plus-registry:5000'] } });
    expect(JSON.stringify(config.options.k3s.extraArgs)).toContain('--disable=traefik');
    // k3s's StorageClass, not kind's; the stored answer keeps it on re-runs.
    expect(readFileSync(join(repo, 'infrastructure/postgres/config/overlays/local/patch-cluster-app.yaml'), 'utf8')).toContain('storageClass: local-path');
    expect(JSON.parse(readFileSync(join(repo, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].answers['sandbox-runtime']).toBe('k3d');
    expect(readFileSync(join(repo, 'clusters/local/flux-system/sync.yaml'), 'utf8')).toContain('url: oci://k3d-haven-plus-registry:5000/haven-plus/p');
    expect(readFileSync(join(repo, 'clusters/local/README.md'), 'utf8')).toContain('kubectl context `k3d-p-local`');
    const validate = await runBin(['validate', repo], { cwd: repo });
    expect(validate.exitCode, validate.all).toBe(0);
    await shellcheck(join(repo, 'sandbox/sandbox.sh'));

    const { bin, log } = standIns(['kind']);
    const r = await runSandbox(repo, ['up'], bin, log);
    expect(r.exitCode, r.all).toBe(0);
    const { calls, at } = callLog(log);
    const order = [
      at(/^k3d registry create haven-plus-registry --port 127\.0\.0\.1:5001 --image docker\.io\/library\/registry:3$/),
      at(/^k3d cluster create --config sandbox\/local\/k3d\.yaml --wait --timeout 120s$/),
      at(/^flux install --context k3d-p-local$/),
      at(/^flux push artifact oci:\/\/localhost:5001\/haven-plus\/p:sandbox /),
      at(/^kubectl --context k3d-p-local apply -f clusters\/local\/flux-system\/sync\.yaml$/),
      at(/\/garage bucket create p-local-postgres$/),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(calls.some((c) => c.startsWith('kind ') || c.includes('network connect'))).toBe(false);

    // A second `up` finds the cluster; `down` deletes it with k3d.
    writeFileSync(log, '');
    expect((await runSandbox(repo, ['up'], bin, log)).exitCode).toBe(0);
    expect(readFileSync(log, 'utf8')).not.toMatch(/^k3d cluster create/m);
    expect((await runSandbox(repo, ['down'], bin, log)).exitCode).toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(/^k3d cluster delete p-local$/m);

    // A k3d config that breaks k3d's schema is an error.
    const file = join(repo, 'sandbox/local/k3d.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('agents: 0', 'agents: 0\nworkers: 2'));
    const broken = await runBin(['validate', repo], { cwd: repo });
    expect(broken.exitCode).toBe(1);
    expect(broken.all).toMatch(/sandbox\/local\/k3d\.yaml[\s\S]*unknown field "workers"/);
  });

  it('refuses --sandbox-runtime without a sandbox cluster', async () => {
    const cwd = tempDir('sandbox-');
    const r = await runBin(['p', '--yes', '--provider', 'ovhcloud', '--git-remote', 'https://git.example.nl/p.git', '--sandbox-runtime', 'k3d'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('sandbox-runtime: is only used with clusters on the local provider (a laptop sandbox)');
    expect(existsSync(join(cwd, 'p'))).toBe(false);
  });

  it('refuses an unknown cluster and a missing tool, saying what to do, before touching anything', async () => {
    const repo = await generate([]);
    const { bin, log } = standIns(['kind']);
    const unknown = await runSandbox(repo, ['up', 'prod'], bin, log);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.all).toContain("unknown sandbox cluster 'prod': this repository's sandbox clusters are local");
    const missing = await runSandbox(repo, ['up'], bin, log);
    expect(missing.exitCode).toBe(1);
    expect(missing.all).toContain('kind is not installed: https://kind.sigs.k8s.io/');
    const usage = await runSandbox(repo, ['launch'], bin, log);
    expect(usage.exitCode).toBe(2);
    expect(usage.all).toContain('usage: bash sandbox/sandbox.sh up|sync|status|down [cluster]');
    expect(readFileSync(log, 'utf8')).toBe('');
  });

  it('Argo CD: the sandbox follows the git remote, validates, and passes shellcheck', async () => {
    const repo = await generate(['--engine', 'argocd', '--git-remote', 'https://git.example.nl/p.git', '--object-storage', 'seaweedfs']);
    expect(existsSync(join(repo, 'clusters/local/flux-system'))).toBe(false);
    const script = readFileSync(join(repo, 'sandbox/sandbox.sh'), 'utf8');
    expect(script).toContain("readonly REMOTE='https://git.example.nl/p.git'");
    expect(script).toContain("S3_SECRETS=('seaweedfs/s3-credentials' 'databases/s3-credentials')");
    await shellcheck(join(repo, 'sandbox/sandbox.sh'));
    const validate = await runBin(['validate', repo], { cwd: repo });
    expect(validate.exitCode, validate.all).toBe(0);
  });
});
