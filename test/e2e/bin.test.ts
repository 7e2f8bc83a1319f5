/**
 * End to end through the bin, as a user runs it: real directories, real git, real kubectl kustomize.
 * stdin is closed in every run (no TTY), so any prompt would fail the test rather than hang it.
 */
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BIN, git, isolatedEnv, listFiles, parseAllYaml, readTree, ROOT, runBin, tempDir } from '../helpers.js';

const REMOTE = 'https://gitlab.example.nl/gemeente/platform.git';

describe('haven-plus (bin), end to end', () => {
  // A spread of providers × both engines × both object-storage backends, each built with kubectl kustomize.
  const spread: [string, string[]][] = [
    ['flux-local-garage', ['--engine', 'flux', '--provider', 'local']],
    ['flux-ovhcloud-s3', ['--engine', 'flux', '--provider', 'ovhcloud', '--clusters', 'acc,prod', '--databases', 'app,orders', '--buckets', 'media']],
    ['flux-hetzner-garage', ['--engine', 'flux', '--provider', 'hetzner', '--object-storage', 'garage']],
    ['flux-multi-provider', ['--engine', 'flux', '--provider', 'azure', '--clusters', 'old,new:scaleway,lab:local']],
    ['argocd-scaleway-s3', ['--engine', 'argocd', '--provider', 'scaleway', '--git-remote', REMOTE]],
    ['argocd-generic-garage', ['--engine', 'argocd', '--provider', 'generic', '--git-remote', REMOTE, '--storage-class', 'fast-ssd']],
    ['argocd-stackit-s3-multi', ['--engine', 'argocd', '--provider', 'stackit', '--clusters', 'acc,prod,lab:local', '--git-remote', REMOTE]],
    ['flux-generic-external-s3', ['--engine', 'flux', '--provider', 'generic', '--object-storage', 'provider-s3', '--s3-endpoint', 'https://s3.example.nl', '--region', 'nl-1']],
  ];

  it.each(spread)('%s: generates, commits, parses and builds', async (name, args) => {
    const cwd = tempDir();
    const result = await runBin([name, '--yes', ...args], { cwd });
    expect(result.exitCode, result.stderr).toBe(0);
    const dir = join(cwd, name);
    const { errors, objects } = parseAllYaml(dir);
    expect(errors).toEqual([]);
    expect(objects.size).toBeGreaterThan(10);
    // One commit with a Conventional Commit subject and the generator trailer, tree clean.
    expect((await git(dir, ['rev-list', '--count', 'HEAD'])).trim()).toBe('1');
    const message = await git(dir, ['log', '-1', '--format=%B']);
    expect(message).toMatch(/^feat: generate Haven\+ platform /);
    expect(message).toMatch(/Generated-by: generator-haven-plus \d+\.\d+\.\d+/);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    // The bin's validate, as CI runs it, on the committed repository (once: its JSON report has what the test checks).
    const validate = await runBin(['validate', '--output', 'json', dir], { cwd });
    expect(validate.exitCode, validate.stdout).toBe(0);
    const report = JSON.parse(validate.stdout) as { valid: boolean; kubectl?: boolean; kubectlBuilt: string[]; findings: unknown[]; stats: { kustomizations: number; schemas: number; objects: number } };
    // A generated repository builds offline throughout: kubectl is not even asked for.
    expect(report.kubectlBuilt).toEqual([]);
    expect(report.kubectl).toBeUndefined();
    expect(report.findings).toEqual([]);
    expect(report.stats.kustomizations).toBeGreaterThanOrEqual(3);
    expect(report.stats.schemas).toBe(report.stats.objects);
    if (name === 'flux-local-garage') {
      // The human report, as the README shows it.
      const human = await runBin(['validate', dir], { cwd });
      expect(human.exitCode, human.stdout).toBe(0);
      expect(human.stdout).toMatch(/✓ valid: \d+ files, \d+ objects \(\d+ schema-checked/);
    }
  });

  it('is deterministic and idempotent: same answers, identical files; a re-run changes nothing', async () => {
    const cwd = tempDir();
    const args = ['--yes', '--provider', 'ovhcloud', '--clusters', 'acc,prod', '--databases', 'app,orders'];
    expect((await runBin(['one', ...args], { cwd })).exitCode).toBe(0);
    expect((await runBin(['two', ...args, '--name', 'one'], { cwd })).exitCode).toBe(0);
    expect(readTree(join(cwd, 'two'))).toEqual(readTree(join(cwd, 'one')));

    const dir = join(cwd, 'one');
    const head = await git(dir, ['rev-parse', 'HEAD']);
    const rerun = await runBin([], { cwd: dir });
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(rerun.all).toMatch(/Nothing changed: no commit made \(\d+\.\d s\)\./);
    expect(await git(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
  });

  it('re-runs with a new answer (another database) and commits the change', async () => {
    const cwd = tempDir();
    expect((await runBin(['p', '--yes', '--provider', 'scaleway'], { cwd })).exitCode).toBe(0);
    const dir = join(cwd, 'p');
    const result = await runBin(['--databases', 'app,orders'], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'infrastructure/postgres/config/base/databases.yaml'), 'utf8')).toContain('name: orders');
    expect((await git(dir, ['log', '--format=%s'])).split('\n')).toHaveLength(2);
    expect(await git(dir, ['log', '-1', '--format=%s'])).toMatch(/^chore: regenerate Haven\+ platform p/);
    expect(JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].answers.databases).toEqual(['app', 'orders']);
  });

  it('without a TTY and without --yes, names every missing answer, exits 2 and writes nothing', async () => {
    const cwd = tempDir();
    const result = await runBin(['target', '--engine', 'flux'], { cwd });
    expect(result.exitCode).toBe(2);
    for (const answer of ['name', 'provider', 'clusters', 'components', 'branch']) expect(result.stderr).toContain(`- ${answer}: is missing`);
    expect(result.stderr).not.toContain('- engine:');
    expect(result.stderr).toContain('add --yes');
    expect(existsSync(join(cwd, 'target'))).toBe(false);
  });

  it('refuses bad values with one message naming each, exits 2 and writes nothing', async () => {
    const cwd = tempDir();
    const result = await runBin(['target', '--yes', '--name', 'Bad_Name', '--provider', 'aws', '--components', 'postgres,mongodb', '--clusters', 'prod,../x'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('- name: "Bad_Name" is not a DNS-1123 label');
    expect(result.stderr).toContain('- provider: "aws" is not one of the choices');
    expect(result.stderr).toContain('- components: "mongodb" is not one of the choices');
    expect(result.stderr).toContain('- clusters: cluster name "../x" is not a DNS-1123 label');
    expect(result.stderr).toMatch(/allowed: .*ovhcloud/);
    expect(existsSync(join(cwd, 'target'))).toBe(false);
  });

  it('refuses a git remote with credentials and never stores it', async () => {
    const cwd = tempDir();
    const result = await runBin(['t', '--yes', '--git-remote', 'https://deploy:glpat-secret@gitlab.example.nl/x.git'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('git-remote: contains credentials');
    expect(existsSync(join(cwd, 't'))).toBe(false);
  });

  it('reads an answers file; flags win over it; unknown keys are errors', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'answers.yaml'), 'name: from-file\nengine: flux\nprovider: exoscale\nclusters: [prod]\ncomponents: [postgres]\ndatabases: app, billing\ncertificate-issuer: private-ca\nsecrets: sops\nbranch: production\n');
    const ok = await runBin(['out', '--answers', 'answers.yaml', '--region', 'ch-gva-2'], { cwd });
    expect(ok.exitCode, ok.stderr).toBe(0);
    const dir = join(cwd, 'out');
    expect(await git(dir, ['branch', '--show-current'])).toBe('production');
    expect(readFileSync(join(dir, 'infrastructure/postgres/config/overlays/prod/object-stores.yaml'), 'utf8')).toContain('endpointURL: https://sos-ch-gva-2.exo.io');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('from-file-prod-postgres');

    writeFileSync(join(cwd, 'bad.yaml'), 'nmae: typo\nengine: 42\n');
    const bad = await runBin(['bad', '--answers', 'bad.yaml', '--yes'], { cwd });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('- nmae: is not a known answer (in bad.yaml)');
    expect(bad.stderr).toContain('- engine: must be a string, got 42 (in bad.yaml)');
  });

  it('refuses a non-empty directory that is not a haven-plus repository, unless --force', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'busy'));
    writeFileSync(join(cwd, 'busy', 'notes.txt'), 'mine\n');
    const refused = await runBin(['busy', '--yes'], { cwd });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('is not empty and is not a haven-plus repository');
    expect(readdirSync(join(cwd, 'busy'))).toEqual(['notes.txt']);
    const forced = await runBin(['busy', '--yes', '--force', '--no-git'], { cwd });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(existsSync(join(cwd, 'busy', 'README.md'))).toBe(true);
    expect(existsSync(join(cwd, 'busy', '.git'))).toBe(false);
  });

  it('never commits into a repository with unrelated uncommitted changes', async () => {
    const cwd = tempDir();
    expect((await runBin(['r', '--yes'], { cwd })).exitCode).toBe(0);
    const dir = join(cwd, 'r');
    writeFileSync(join(dir, 'wip.txt'), 'unfinished\n');
    const result = await runBin(['--databases', 'app,other'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('has uncommitted changes');
    expect(result.stderr).toContain('?? wip.txt');
    expect((await git(dir, ['rev-list', '--count', 'HEAD'])).trim()).toBe('1');
    expect(readFileSync(join(dir, 'infrastructure/postgres/config/base/databases.yaml'), 'utf8')).not.toContain('other');
  });

  it('keeps hand edits on a re-run; without git (no base to merge with) refuses to overwrite them without a TTY', async () => {
    const cwd = tempDir();
    expect((await runBin(['r', '--yes'], { cwd })).exitCode).toBe(0);
    const dir = join(cwd, 'r');
    const file = join(dir, 'infrastructure/garage/controller/base/releases.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('interval: 30m', 'interval: 5m'));
    await git(dir, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'fix: faster']);
    const kept = await runBin([], { cwd: dir });
    expect(kept.exitCode, kept.all).toBe(0);
    expect(kept.all).toMatch(/Nothing changed: no commit made \(\d+\.\d s\)\./);
    expect(readFileSync(file, 'utf8')).toContain('interval: 5m');

    expect((await runBin(['plain', '--yes', '--no-git'], { cwd })).exitCode).toBe(0);
    const plain = join(cwd, 'plain', 'infrastructure/garage/controller/base/releases.yaml');
    writeFileSync(plain, readFileSync(plain, 'utf8').replace('interval: 30m', 'interval: 5m'));
    const refused = await runBin([], { cwd: join(cwd, 'plain') });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('infrastructure/garage/controller/base/releases.yaml');
    expect(readFileSync(plain, 'utf8')).toContain('interval: 5m');
  });

  it('--dry-run writes nothing and commits nothing', async () => {
    const cwd = tempDir();
    const result = await runBin(['dry', '--yes', '--dry-run'], { cwd });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.all).toContain('Dry run: nothing was written');
    expect(existsSync(join(cwd, 'dry')) ? listFiles(join(cwd, 'dry')) : []).toEqual([]);
  });

  it('says where it writes as typed from here, how long it took, and with --verbose each file', async () => {
    const cwd = tempDir();
    const quiet = await runBin(['here', '--yes'], { cwd });
    expect(quiet.all).toMatch(/^Writing \d+ of \d+ files to \.\/here$/m);
    expect(quiet.all).toMatch(/^Validated .* the values of \d+ chart releases? \(\d+\.\d s\)\.$/m);
    expect(quiet.all).toMatch(/^Committed [0-9a-f]+ on main as .* \(\d+\.\d s\)\.$/m);
    expect(quiet.all).not.toMatch(/^  write /m);
    const verbose = await runBin(['there', '--yes', '--verbose'], { cwd });
    const written = verbose.all.split('\n').filter((l) => l.startsWith('  write ')).map((l) => l.slice('  write '.length));
    expect(written.sort()).toEqual(listFiles(join(cwd, 'there')).filter((f) => !f.startsWith('.git/')).sort());
  });

  it('pushes to a real bare remote with --push, without a git identity configured', async () => {
    const cwd = tempDir();
    const bare = join(cwd, 'remote.git');
    await git(cwd, ['init', '--bare', '--quiet', '-b', 'main', bare]);
    const remote = `file://${bare}`;
    // Flux: the repository is pushed to a path here (Argo CD refuses a file:// remote: it fetches from inside the cluster).
    const result = await runBin(['pushed', '--yes', '--git-remote', remote, '--push', '--branch', 'platform'], { cwd });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.all).toContain('Pushed platform');
    expect(result.all).toContain('used a neutral author');
    const dir = join(cwd, 'pushed');
    expect(await git(bare, ['rev-parse', 'platform'])).toBe(await git(dir, ['rev-parse', 'HEAD']));
    expect(await git(bare, ['log', '-1', '--format=%an <%ae>', 'platform'])).toBe('haven-plus <haven-plus@localhost.invalid>');
    expect(await git(dir, ['remote', 'get-url', 'origin'])).toBe(remote);
    // --git-author chooses the identity.
    const other = await runBin(['authored', '--yes', '--git-author', 'Team Platform <platform@gemeente.nl>'], { cwd });
    expect(other.exitCode, other.stderr).toBe(0);
    expect(await git(join(cwd, 'authored'), ['log', '-1', '--format=%an <%ae>'])).toBe('Team Platform <platform@gemeente.nl>');
  });

  it('--help lists every question of the table and the examples; --version prints the version', async () => {
    const cwd = tempDir();
    const help = await runBin(['--help'], { cwd });
    expect(help.exitCode).toBe(0);
    for (const flag of ['--name', '--engine', '--provider', '--clusters', '--components', '--object-storage', '--databases', '--git-remote', '--branch', '--push', '--answers', '--yes', '--force', '--dry-run']) {
      expect(help.stdout).toContain(flag);
    }
    expect(help.stdout).toContain('Examples:');
    const version = await runBin(['--version'], { cwd });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const unknown = await runBin(['--provder', 'x'], { cwd });
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.stderr).toContain("unknown option '--provder'");
    expect(unknown.stderr).toContain('(Did you mean --provider?)');
    // Every choice shows what it allows and its default.
    const line = (flag: string) => help.stdout.split('\n').find((l) => l.trimStart().startsWith(flag)) ?? '';
    expect(line('--engine')).toContain('(allowed: flux or argocd; default: flux)');
    expect(line('--preset')).toContain('(allowed: haven-compliance, haven-plus, minimal; default: minimal)');
    expect(line('--provider')).toMatch(/allowed: azure, .*upcloud/);
    // A day-2 command lists what applies there only (the rest is still accepted, as under yo).
    const database = await runBin(['database', '--help'], { cwd });
    expect(database.stdout).toContain('--database-clients');
    for (const flag of ['--engine', '--provider', '--clusters', '--answers', '--clusters-file']) expect(database.stdout).not.toContain(flag);
    // --force and --push as they act in a repository that exists.
    expect(database.stdout).toMatch(/--force +where your edits and the generator's changes overlap, take the generator's side/);
    expect(database.stdout).toMatch(/--push +push the commit to the repository's remote \(the stored --git-remote\)/);
    expect(database.stdout).not.toContain('write into a non-empty directory');
    expect(line('--provider')).toContain('default: local');
    const cluster = await runBin(['cluster', '--help'], { cwd });
    expect(cluster.stdout).toMatch(/--provider <id> +the new cluster's provider profile \(allowed: azure/);
  });

  it('a misspelt value or command gets "did you mean", exit 2, and nothing is written', async () => {
    const cwd = tempDir();
    const engine = await runBin(['target', '--yes', '--engine', 'flx', '--components', 'postgress'], { cwd });
    expect(engine.exitCode).toBe(2);
    expect(engine.stderr).toContain('- engine: "flx" is not one of the choices; did you mean "flux"?');
    expect(engine.stderr).toContain('- components: "postgress" is not one of the choices; did you mean "postgres"?');
    for (const [args, command] of [[['upgrad'], 'upgrade'], [['databse', 'orders'], 'database'], [['valdiate', '.'], 'validate']] as const) {
      const run = await runBin([...args], { cwd });
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stderr).toContain(`haven-plus: "${args[0]}" is not a command, and there is no directory of that name: did you mean \`haven-plus ${command}\`?`);
    }
    expect(readdirSync(cwd)).toEqual([]);
    // A name that extends a command is a name; --name makes any word one.
    expect((await runBin(['cluster1', '--yes'], { cwd })).exitCode).toBe(0);
    expect((await runBin(['upgrad', '--yes', '--name', 'upgrad'], { cwd })).exitCode).toBe(0);
    const component = await runBin(['component', 'veleor'], { cwd: join(cwd, 'cluster1') });
    expect(component.exitCode).toBe(2);
    expect(component.stderr).toContain('"veleor" is not a component; did you mean "velero"?');
    // A provider in a cluster list and a day-2 --cluster are named values too.
    const provider = await runBin(['other', '--yes', '--clusters', 'acc:ovhclod'], { cwd });
    expect(provider.exitCode).toBe(2);
    expect(provider.stderr).toContain('unknown provider "ovhclod" for cluster acc; did you mean "ovhcloud"?');
    expect(existsSync(join(cwd, 'other'))).toBe(false);
    const cluster = await runBin(['component', 'velero', '--cluster', 'locl'], { cwd: join(cwd, 'cluster1') });
    expect(cluster.exitCode).toBe(2);
    expect(cluster.stderr).toContain('"locl" is not a cluster of this repository; did you mean "local"?');
  });

  it('is a bundle that runs from wherever the package is installed, and holds no path of the machine that built it', async () => {
    const bundle = [BIN, ...readdirSync(join(dirname(BIN), 'chunks')).map((f) => join(dirname(BIN), 'chunks', f))];
    expect(bundle.length).toBeGreaterThan(2);
    const root = ROOT.replace(/\/$/, '');
    for (const file of bundle) expect(readFileSync(file, 'utf8').includes(root), file).toBe(false);
    // The package copied elsewhere, its dependencies installed beside it (a link, as npm would find them).
    const installed = join(tempDir(), 'generator-haven-plus');
    for (const part of ['package.json', 'dist', 'templates', 'schemas']) cpSync(join(ROOT, part), join(installed, part), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(installed, 'node_modules'));
    const cwd = tempDir();
    const run = await execa(process.execPath, [join(installed, 'dist', 'bin', 'haven-plus.js'), 'moved', '--yes', '--provider', 'scaleway'], {
      cwd,
      env: isolatedEnv(cwd),
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Validated \d+ objects/);
    expect((await git(join(cwd, 'moved'), ['rev-list', '--count', 'HEAD'])).trim()).toBe('1');
    const check = await execa(process.execPath, [join(installed, 'dist', 'bin', 'haven-plus.js'), 'validate', join(cwd, 'moved')], { cwd, env: isolatedEnv(cwd), extendEnv: false, reject: false });
    expect(check.exitCode, check.stdout).toBe(0);
    // npm's Arborist (with pacote and sigstore) is not in the bundle: Yeoman's FlyRepository loads it from the
    // installed package when it first needs it, and it works from there.
    // Nor are iconv-lite and chardet (inquirer's editor prompt reads its file back with them): they load from where
    // the installed @inquirer/external-editor finds them.
    for (const file of bundle) for (const lazy of ['node_modules/@npmcli/arborist/', 'node_modules/iconv-lite/', 'node_modules/chardet/']) expect(readFileSync(file, 'utf8').includes(lazy), `${file}: ${lazy}`).toBe(false);
    const editor = `const { createRequire } = await import('node:module');
      const from = createRequire(${JSON.stringify(join(installed, 'node_modules', '@inquirer', 'external-editor', 'dist', 'index.js'))});
      console.log(from('iconv-lite').decode(Buffer.from('h\\u00e9', 'utf8'), from('chardet').detect(Buffer.from('h\\u00e9'))));`;
    const encodings = await execa(process.execPath, ['--input-type=module', '-e', editor], { cwd, env: isolatedEnv(cwd), extendEnv: false, reject: false });
    expect(encodings.exitCode, encodings.stderr).toBe(0);
    const environment = readFileSync(BIN, 'utf8').match(/import\("(\.\/chunks\/dist-\w+\.js)"\)/)?.[1];
    expect(environment).toBeDefined();
    mkdirSync(join(cwd, '.yo-repository'));
    const probe = `const { createEnv } = await import(${JSON.stringify(pathToFileURL(join(installed, 'dist', 'bin', environment!)).href)});
      const tree = await createEnv({ cwd: ${JSON.stringify(cwd)} }).repository.load();
      console.log(tree.constructor.name, tree.path);`;
    const fly = await execa(process.execPath, ['--input-type=module', '-e', probe], { cwd, env: isolatedEnv(cwd), extendEnv: false, reject: false });
    expect(fly.exitCode, fly.stderr).toBe(0);
    expect(fly.stdout).toBe(`Node ${join(cwd, '.yo-repository')}`);
  });
});

describe('haven-plus (bin), directories', () => {
  it('explains why the directory name cannot be the default name', async () => {
    const cwd = tempDir();
    const result = await runBin(['My_Platform', '--yes'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('- name: is missing (the directory name "My_Platform" cannot be the default: it is not a DNS-1123 label; give --name)');
    const named = await runBin(['My_Platform', '--yes', '--name', 'my-platform'], { cwd });
    expect(named.exitCode, named.stderr).toBe(0);
  });

  it('refuses to create a nested repository inside another git repository', async () => {
    const cwd = tempDir();
    await git(cwd, ['init', '-q']);
    const result = await runBin(['sub/platform', '--yes'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`is inside the git repository ${cwd}`);
    expect(existsSync(join(cwd, 'sub'))).toBe(false);
    const noGit = await runBin(['sub/platform', '--yes', '--no-git'], { cwd });
    expect(noGit.exitCode, noGit.stderr).toBe(0);
    expect(existsSync(join(cwd, 'sub/platform/README.md'))).toBe(true);
  });
});

describe('haven-plus validate', () => {
  it('reports a broken repository per file with path, in human, JSON and JUnit form, exit 1', async () => {
    const cwd = tempDir();
    expect((await runBin(['repo', '--yes', '--ci', 'gitlab,github'], { cwd })).exitCode).toBe(0);
    const dir = join(cwd, 'repo');
    expect(existsSync(join(dir, '.gitlab-ci.yml'))).toBe(true);
    expect(readFileSync(join(dir, '.github/workflows/validate.yml'), 'utf8')).toContain('haven-plus validate .');
    const file = join(dir, 'clusters/local/infrastructure/garage.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('interval: 15m', 'interval: soon').replace('prune: true', 'prune: true\n  prnue: false'));

    const human = await runBin(['validate', dir], { cwd });
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toContain('clusters/local/infrastructure/garage.yaml');
    expect(human.stdout).toContain('Kustomization flux-system/garage-controller: /spec/interval: must match pattern');
    expect(human.stdout).toContain('unknown field "prnue"');
    expect(human.stdout).toMatch(/✗ 2 error\(s\)/);
    expect(human.stdout).toContain('Secret databases/s3-credentials with keys S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY');

    const json = await runBin(['validate', dir, '--output', 'json'], { cwd });
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.valid).toBe(false);
    expect(report.findings.map((f: { path: string }) => f.path)).toEqual(['/spec', '/spec/interval']);

    const junit = await runBin(['validate', dir, '-o', 'junit'], { cwd });
    expect(junit.exitCode).toBe(1);
    expect(junit.stdout).toMatch(/<testsuite name="schema" tests="\d+" failures="1">/);
    expect(junit.stdout).toContain('<testcase classname="schema" name="clusters/local/infrastructure/garage.yaml"><failure');
  });

  it('the generated CI runs validate as written: a chart version outside the pinned data (exit 3) is a warning, errors fail', async () => {
    const cwd = tempDir();
    const first = await runBin(['repo', '--yes', '--ci', 'gitlab,github'], { cwd });
    expect(first.exitCode).toBe(0);
    // The default validator package is not published yet: the run says the CI job fails until it is, and what to do.
    expect(first.stderr).toContain('! The generated CI validates with `npx --package=generator-haven-plus@0.1.0`, which is not on the public npm registry yet');
    expect(first.stderr).toContain('re-run with --validator <its URL>');
    const dir = join(cwd, 'repo');
    const github = parse(readFileSync(join(dir, '.github/workflows/validate.yml'), 'utf8')) as { jobs: Record<string, { steps: { run?: string }[] }> };
    const githubScript = Object.values(github.jobs).flatMap((j) => j.steps).find((s) => s.run?.includes('haven-plus validate'))!.run!;
    const gitlab = parse(readFileSync(join(dir, '.gitlab-ci.yml'), 'utf8')) as Record<string, { script?: string[]; allow_failure?: { exit_codes: number[] }; variables?: Record<string, string> }>;
    const job = gitlab['haven-plus-validate'];
    expect(job.allow_failure).toEqual({ exit_codes: [3] });
    const log = join(cwd, 'stub.log');
    // GitHub runs `bash -e` on the step; GitLab runs each script line in a shell and stops at the first that fails.
    const env = { ...isolatedEnv(cwd), PATH: `${join(ROOT, 'test/fixtures/recipe-stubs')}:${process.env.PATH}`, STUB_LOG: log, HAVEN_PLUS_NODE: process.execPath, HAVEN_PLUS_BIN: BIN, ...job.variables };
    const ci = async (pkg = 'generator-haven-plus@0.1.0') => {
      writeFileSync(log, '');
      const gh = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', githubScript], { cwd: dir, env, extendEnv: false, reject: false, all: true });
      let gl = 0;
      for (const line of job.script!) {
        gl = (await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', line], { cwd: dir, env, extendEnv: false, reject: false })).exitCode ?? -1;
        if (gl !== 0) break;
      }
      const calls = readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('npx '));
      expect(calls).toEqual([`npx --yes --package=${pkg} -- haven-plus validate .`, `npx --yes --package=${pkg} -- haven-plus validate . --output junit`, `npx --yes --package=${pkg} -- haven-plus validate .`].slice(0, calls.length));
      return { github: gh.exitCode, warned: gh.all.includes('::warning title=haven-plus validate::'), gitlab: gl, allowed: job.allow_failure!.exit_codes.includes(gl) };
    };
    expect(await ci()).toEqual({ github: 0, warned: false, gitlab: 0, allowed: false });
    const releases = join(dir, 'infrastructure/postgres/controller/base/releases.yaml');
    writeFileSync(releases, readFileSync(releases, 'utf8').replace('version: 0.29.0', 'version: 0.30.0'));
    expect(await ci()).toEqual({ github: 0, warned: true, gitlab: 3, allowed: true });
    writeFileSync(releases, readFileSync(releases, 'utf8').replace('version: 0.30.0', 'version: 0.29.0').replace('interval: ', 'interval: soon #'));
    expect(await ci()).toEqual({ github: 1, warned: false, gitlab: 1, allowed: false });
    // The validator from a tarball the organisation hosts: CI and the README take it from there.
    await git(dir, ['checkout', '--', '.']);
    await git(dir, ['clean', '-fdq']);
    const tarball = 'https://artifacts.example.nl/npm/generator-haven-plus-0.1.0.tgz';
    const rerun = await runBin(['repo', '--yes', '--validator', tarball], { cwd });
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(rerun.stderr).not.toContain('not on the public npm registry');
    const rerendered = parse(readFileSync(join(dir, '.gitlab-ci.yml'), 'utf8')) as typeof gitlab;
    Object.assign(env, rerendered['haven-plus-validate'].variables);
    const githubNow = (parse(readFileSync(join(dir, '.github/workflows/validate.yml'), 'utf8')) as typeof github).jobs['haven-plus-validate'].steps.find((st) => st.run?.includes('haven-plus validate'))!.run!;
    expect(githubNow).toContain(`--package=${tarball} `);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(`npx --package=${tarball} -- haven-plus validate .`);
    const gl = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', rerendered['haven-plus-validate'].script![1]], { cwd: dir, env, extendEnv: false, reject: false });
    expect(gl.exitCode).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain(`npx --yes --package=${tarball} -- haven-plus validate .`);
  });

  it('finds schemas through --schema-location and says when a kind has none', async () => {
    const cwd = tempDir();
    expect((await runBin(['repo', '--yes', '--no-git'], { cwd })).exitCode).toBe(0);
    const empty = join(cwd, 'no-schemas');
    mkdirSync(empty);
    const result = await runBin(['validate', join(cwd, 'repo'), '--schema-location', empty, '--output', 'json'], { cwd });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.findings.some((f: { message: string; severity: string }) => f.severity === 'error' && /no schema found for postgresql.cnpg.io\/v1 Cluster in .*no-schemas/.test(f.message))).toBe(true);
  });
});
