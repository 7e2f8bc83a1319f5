/**
 * Day 2 in real git repositories, through the bin as a user runs it: subgenerators, upgrade, and
 * the three-way merge that keeps hand edits (git merges each new render against the last one).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, readTree, runBin, tempDir } from '../helpers.js';

const RELEASES = 'infrastructure/postgres/controller/base/releases.yaml';
const OPERATOR_PATCH = 'infrastructure/postgres/config/overlays/local/patch-cluster-app.yaml';

/** A generated repository (sandbox, Flux, PostgreSQL) and its directory. */
async function generated(extra: string[] = []): Promise<string> {
  const cwd = tempDir('day2-');
  const r = await runBin(['p', '--yes', '--components', 'postgres', ...extra], { cwd });
  expect(r.exitCode, r.all).toBe(0);
  return join(cwd, 'p');
}

/** Edits a file as a user would, and commits it. */
async function userEdit(dir: string, path: string, from: string, to: string, message = 'fix: tune by hand'): Promise<void> {
  const before = readFileSync(join(dir, path), 'utf8');
  expect(before, `${path} should contain ${from}`).toContain(from);
  writeFileSync(join(dir, path), before.replace(from, to));
  await git(dir, ['-c', 'user.name=Op', '-c', 'user.email=op@example.nl', 'commit', '-qam', message]);
}

/** The HelmRelease value a user set by hand: one more operator replica. */
const HAND_EDIT = { from: '  values:\n    crds:\n', to: '  values:\n    replicaCount: 2\n    crds:\n' };

async function expectCleanCommit(dir: string, subject: RegExp): Promise<void> {
  expect(await git(dir, ['status', '--porcelain'])).toBe('');
  const message = await git(dir, ['log', '-1', '--format=%B']);
  expect(message).toMatch(subject);
  expect(message).toMatch(/Generated-by: generator-haven-plus \d+\.\d+\.\d+/);
}

describe('day 2: subgenerators and re-runs keep what people edited', () => {
  it('keeps a hand-edited HelmRelease value through database, bucket, cluster and component, one commit each, valid', async () => {
    const dir = await generated();
    await userEdit(dir, RELEASES, HAND_EDIT.from, HAND_EDIT.to);
    // A file of the user's own, next to the generated ones: never touched.
    const own = 'infrastructure/postgres/config/base/extra-role.yaml';
    writeFileSync(join(dir, own), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\n');
    await git(dir, ['add', own]);
    await git(dir, ['-c', 'user.name=Op', '-c', 'user.email=op@example.nl', 'commit', '-qm', 'feat: my own file']);
    const commits = async () => Number((await git(dir, ['rev-list', '--count', '--first-parent', 'HEAD'])).trim());

    const steps: [string[], RegExp, () => void][] = [
      [['database', 'orders'], /^feat\(postgres\): add database orders to p/, () => expect(readFileSync(join(dir, 'infrastructure/postgres/config/base/databases.yaml'), 'utf8')).toContain('name: orders')],
      // From a subdirectory, as git works: the repository root is found upwards.
      [['bucket', 'media'], /^feat\(object-storage\): add bucket media to p/, () => expect(readFileSync(join(dir, '.yo-rc.json'), 'utf8')).toContain('"media"')],
      [
        ['cluster', 'acc', '--provider', 'scaleway', '--yes'],
        /^feat\(clusters\): add cluster acc on scaleway to p/,
        () => expect(existsSync(join(dir, 'clusters/acc/infrastructure/postgres.yaml'))).toBe(true),
      ],
      [['component', 'velero'], /^feat\(velero\): add velero to p/, () => expect(existsSync(join(dir, 'clusters/acc/infrastructure/velero.yaml'))).toBe(true)],
    ];
    for (const [args, subject, check] of steps) {
      const before = await commits();
      const r = await runBin(args, { cwd: args[0] === 'bucket' ? join(dir, 'infrastructure', 'postgres') : dir });
      expect(r.exitCode, `${args.join(' ')}\n${r.all}`).toBe(0);
      check();
      expect(readFileSync(join(dir, RELEASES), 'utf8'), `the hand edit after ${args[0]}`).toContain('replicaCount: 2');
      expect(readFileSync(join(dir, own), 'utf8')).toContain('name: mine');
      // One commit on the branch: the merge of the new render (its pure render is the second parent).
      expect(await commits()).toBe(before + 1);
      await expectCleanCommit(dir, subject);
      // The output says what the commit changed: its subject, then each file as git's first-parent diff has it.
      const diff = (await git(dir, ['diff', '--name-status', '--no-renames', 'HEAD^1', 'HEAD'])).trim().split('\n').map((l) => l.split('\t'));
      const listed = diff.map(([status, path]) => `    ${status === 'A' ? '+' : status === 'D' ? '-' : '~'} ${path}`);
      // (Progress and outcome are on stderr, as git and flux print theirs.)
      const lines = r.stderr.split('\n');
      const at = lines.findIndex((l) => subject.test(l.trim()));
      expect(at, r.stderr).toBeGreaterThan(-1);
      const counts = ['added', 'changed', 'removed'].map((c, i) => [c, diff.filter(([status]) => (status === 'A' ? 0 : status === 'D' ? 2 : 1) === i).length] as const).filter(([, n]) => n > 0);
      expect(lines[at].trim()).toMatch(new RegExp(`: ${counts.map(([c, n]) => `${n} ${c}`).join(', ')}$`));
      const after = lines.slice(at + 1);
      const shown = after.slice(0, after.findIndex((l) => !/^ {4}[+~-] /.test(l)));
      expect(shown).toEqual(listed.slice(0, 12));
      if (args[0] === 'component') {
        // Velero's bucket on acc is on Scaleway's own object storage: the cluster cannot make it, so the run says to, before the push.
        expect(r.stderr).toMatch(/\n {4}acc \(Scaleway[^)]*\): p-acc-velero\n {6}read -rp 'Scaleway project ID for these buckets: ' SCW_PROJECT_ID\n {6}scw object bucket create p-acc-velero region=nl-ams project-id="\$SCW_PROJECT_ID"\n/);
        // Said before the commit, so a failing push cannot hide it.
        expect(r.stderr.indexOf('p-acc-velero')).toBeLessThan(r.stderr.indexOf('Committed '));
        expect(r.stderr).toContain('Next: make the buckets above, then push it (git push)');
      } else {
        // The bucket on local is Garage's, in the cluster: its job makes it.
        expect(r.stderr).not.toContain('New buckets');
        expect(r.stderr).toContain('Next: push it (git push)');
      }
    }
    const stored = JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].answers;
    expect(stored).toMatchObject({ name: 'p', provider: 'local', clusters: ['local', 'acc:scaleway'], databases: ['app', 'orders'], buckets: ['media'], components: ['postgres', 'velero'] });

    const validate = await runBin(['validate', dir], { cwd: dir });
    expect(validate.exitCode, validate.stdout).toBe(0);
  });

  it('stops on overlapping edits: conflict markers, the files listed, exit 1, no commit; --dry-run says so first', async () => {
    const dir = await generated();
    await userEdit(dir, OPERATOR_PATCH, 'storageClass: standard', 'storageClass: mine');
    const head = await git(dir, ['rev-parse', 'HEAD']);

    const preview = await runBin(['--storage-class', 'fast', '--dry-run'], { cwd: dir });
    expect(preview.exitCode, preview.all).toBe(0);
    expect(preview.all).toContain(`${OPERATOR_PATCH}   (conflicts with your edits)`);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    expect(await git(dir, ['rev-parse', 'HEAD'])).toBe(head);

    const run = await runBin(['--storage-class', 'fast'], { cwd: dir });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('overlap in 1 file(s); nothing was committed');
    expect(run.stderr).toContain(`    ${OPERATOR_PATCH}`);
    expect(readFileSync(join(dir, OPERATOR_PATCH), 'utf8')).toMatch(/<<<<<<< HEAD\n {4}storageClass: mine\n=======\n {4}storageClass: fast\n>>>>>>> refs\/haven-plus\/render\n/);
    expect(await git(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(await git(dir, ['status', '--porcelain'])).toContain(`UU ${OPERATOR_PATCH}`);
    // The rest of the render is staged, as in any git merge; aborting goes back to the user's commit.
    await git(dir, ['merge', '--abort']);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    expect(readFileSync(join(dir, OPERATOR_PATCH), 'utf8')).toContain('storageClass: mine');
  });

  it('adding and then removing a component leaves the files byte-identical to never having added it', async () => {
    const dir = await generated(['--clusters', 'local,edge']);
    await userEdit(dir, RELEASES, HAND_EDIT.from, HAND_EDIT.to);
    const original = readTree(dir);

    for (const [add, remove, only] of [
      [['component', 'velero'], ['component', 'velero', '--remove'], undefined],
      [['component', 'falco', '--cluster', 'edge'], ['component', 'falco', '--cluster', 'edge', '--remove'], 'edge'],
    ] as const) {
      const added = await runBin([...add], { cwd: dir });
      expect(added.exitCode, added.all).toBe(0);
      const id = add[1];
      expect(existsSync(join(dir, `clusters/edge/infrastructure/${id}.yaml`))).toBe(true);
      expect(existsSync(join(dir, `clusters/local/infrastructure/${id}.yaml`))).toBe(only === undefined);
      const removed = await runBin([...remove], { cwd: dir });
      expect(removed.exitCode, removed.all).toBe(0);
      expect(readTree(dir)).toEqual(original);
      await expectCleanCommit(dir, new RegExp(`^feat\\(${id}\\): remove ${id}`));
    }
  });

  it('upgrade: shows the pinned versions that move, keeps the hand edit, one commit, valid', async () => {
    const dir = await generated();
    // What an older generator wrote: older chart versions, its version in .yo-rc.json, a render commit.
    for (const [path, from, to] of [
      [RELEASES, 'version: 0.29.0', 'version: 0.28.0'],
      ['.yo-rc.json', '"version": "0.1.0"', '"version": "0.0.9"'],
    ]) {
      const text = readFileSync(join(dir, path), 'utf8');
      expect(text).toContain(from);
      writeFileSync(join(dir, path), text.replace(from, to));
    }
    // As an older version recorded its render: the tree in the trailer, so the commit is a verifiable base.
    await git(dir, ['add', '-u']);
    const tree = (await git(dir, ['write-tree'])).trim();
    await git(dir, ['-c', 'user.name=Gen', '-c', 'user.email=gen@example.nl', 'commit', '-qm', `chore: regenerate\n\nGenerated-by: generator-haven-plus 0.0.9\nHaven-plus-render: 0.0.9\nHaven-plus-render-tree: ${tree}`]);
    await userEdit(dir, RELEASES, HAND_EDIT.from, HAND_EDIT.to);

    const preview = await runBin(['upgrade', '--dry-run'], { cwd: dir });
    expect(preview.exitCode, preview.all).toBe(0);
    expect(preview.all).toContain('Upgrading from generator-haven-plus 0.0.9 to 0.1.0.');
    expect(preview.all).toMatch(/Pinned versions that change:\n {4}cloudnative-pg: 0\.28\.0 → 0\.29\.0\n/);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');

    const r = await runBin(['upgrade'], { cwd: dir });
    expect(r.exitCode, r.all).toBe(0);
    const releases = readFileSync(join(dir, RELEASES), 'utf8');
    expect(releases).toContain('version: 0.29.0');
    expect(releases).toContain('replicaCount: 2');
    await expectCleanCommit(dir, /^chore\(deps\): upgrade p to generator-haven-plus 0\.1\.0\n\ncloudnative-pg: 0\.28\.0 → 0\.29\.0\n/);
    expect(JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].version).toBe('0.1.0');
    const validate = await runBin(['validate', dir], { cwd: dir });
    expect(validate.exitCode, validate.stdout).toBe(0);
  });

  it('refuses to run outside a haven-plus repository and refuses names that collide, changing nothing', async () => {
    const empty = tempDir('day2-empty-');
    for (const args of [['database', 'orders'], ['upgrade'], ['component', 'velero']]) {
      const r = await runBin(args, { cwd: empty });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`${empty} is not a haven-plus repository (no .yo-rc.json with generator-haven-plus answers)`);
    }

    const dir = await generated(['--components', 'postgres,object-storage', '--buckets', 'media']);
    const head = await git(dir, ['rev-parse', 'HEAD']);
    const refusals: [string[], string][] = [
      [['database', 'app'], 'database "app" already exists (databases: app); choose another name'],
      [['bucket', 'media'], 'bucket "media" already exists (buckets: media); choose another name'],
      [['cluster', 'local'], 'cluster "local" already exists (clusters: local); choose another name'],
      [['database', 'Bad_Name'], 'database: "Bad_Name" is not a DNS-1123 label'],
      [['cluster', 'acc', '--provider', 'aws'], 'unknown provider "aws" for cluster acc'],
      [['component', 'postgres'], 'component: postgres already runs on every cluster'],
      [['component', 'nope'], 'component: "nope" is not a component'],
      [['component', 'velero', '--remove'], 'component: velero is not chosen for every cluster (chosen: postgres, object-storage)'],
      [['component', 'object-storage', '--remove'], 'component: object-storage is needed by postgres on cluster local; remove that first'],
      [['component', 'velero', '--cluster', 'nope'], 'cluster: "nope" is not a cluster of this repository'],
    ];
    for (const [args, message] of refusals) {
      const r = await runBin(args, { cwd: dir });
      expect(r.exitCode, `${args.join(' ')}: ${r.all}`).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
    expect(await git(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
  });
});
