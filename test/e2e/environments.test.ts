/**
 * Staged upgrades through the bin in a real git repository: a new generator version goes to test
 * first (production is held at what it runs), and production is promoted by changing one line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, runBin, tempDir } from '../helpers.js';

const layer = (environment: string) => `infrastructure/postgres/controller/environments/${environment}/releases.yaml`;
const stored = (dir: string) => JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-haven-plus'];

function replaceIn(dir: string, path: string, from: string, to: string): void {
  const text = readFileSync(join(dir, path), 'utf8');
  expect(text, `${path} should contain ${from}`).toContain(from);
  writeFileSync(join(dir, path), text.split(from).join(to));
}

describe('environments: staged upgrade and promotion by one line', () => {
  it('upgrades test alone, holds production, then promotes production by one line; every step valid and committed', async () => {
    const cwd = tempDir('env-e2e-');
    const r = await runBin(
      ['p', '--yes', '--provider', 'ovhcloud', '--components', 'postgres', '--clusters', 'test1,prod1', '--cluster-settings', 'test1.environment=test,prod1.environment=production', '--git-remote', 'https://git.example.nl/p.git'],
      { cwd },
    );
    expect(r.exitCode, r.all).toBe(0);
    const dir = join(cwd, 'p');
    const pin = /version: (\S+)/.exec(readFileSync(join(dir, layer('test')), 'utf8'))![1];
    // What an older generator wrote: an older chart version everywhere, its version in .yo-rc.json.
    for (const path of ['infrastructure/postgres/controller/base/releases.yaml', layer('test'), layer('production')]) replaceIn(dir, path, `version: ${pin}`, 'version: 0.28.0');
    replaceIn(dir, '.yo-rc.json', '"version": "0.1.0"', '"version": "0.0.9"');
    // As an older version recorded its render: the tree in the trailer, so the commit is a verifiable base.
    await git(dir, ['add', '-u']);
    const tree = (await git(dir, ['write-tree'])).trim();
    await git(dir, ['-c', 'user.name=Gen', '-c', 'user.email=gen@example.nl', 'commit', '-qm', `chore: regenerate\n\nGenerated-by: generator-haven-plus 0.0.9\nHaven-plus-render: 0.0.9\nHaven-plus-render-tree: ${tree}`]);

    const unknown = await runBin(['upgrade', '--environments', 'staging'], { cwd: dir });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('environments: "staging" is not an environment of this repository\'s clusters');
    expect(unknown.stderr).toContain('allowed: test, production');

    const staged = await runBin(['upgrade', '--environments', 'test'], { cwd: dir });
    expect(staged.exitCode, staged.all).toBe(0);
    expect(staged.all).toContain(`held in production: cloudnative-pg 0.28.0 (this generator pins ${pin})`);
    // The held version has no chart facts: upgrade says what validation cannot see.
    expect(staged.all).toContain('No chart facts for cloudnative-pg 0.28.0 (production): validation cannot see what this chart renders');
    expect(readFileSync(join(dir, layer('test')), 'utf8')).toContain(`version: ${pin}`);
    expect(readFileSync(join(dir, layer('production')), 'utf8')).toContain('version: 0.28.0');
    expect(stored(dir).answers['environment-versions']).toEqual(['production.cloudnative-pg=0.28.0']);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).toContain(`| postgres | cloudnative-pg | \`${pin}\` | **\`0.28.0\`** (held) |`);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    expect(await git(dir, ['log', '-1', '--format=%s'])).toBe('chore(deps): upgrade p to generator-haven-plus 0.1.0');
    // No error, but the held version is not in the pinned chart data: unverified, exit code 3.
    const held = await runBin(['validate', dir], { cwd: dir });
    expect(held.exitCode, held.stdout).toBe(3);
    expect(held.stdout).toContain('cloudnative-pg 0.28.0 is not in the pinned chart data: values checked against');

    // A plain re-run keeps the hold.
    const rerun = await runBin(['bucket', 'media'], { cwd: dir });
    expect(rerun.exitCode, rerun.all).toBe(0);
    expect(readFileSync(join(dir, layer('production')), 'utf8')).toContain('version: 0.28.0');

    // Promotion: one line, by hand, as a reviewer would see it in a merge request.
    replaceIn(dir, layer('production'), 'version: 0.28.0', `version: ${pin}`);
    await git(dir, ['-c', 'user.name=Op', '-c', 'user.email=op@example.nl', 'commit', '-qam', 'chore: promote cloudnative-pg to production']);
    const diff = await git(dir, ['show', '--format=', '--unified=0', 'HEAD']);
    expect(diff.split('\n').filter((l) => /^[-+] /.test(l))).toEqual(['-      version: 0.28.0', `+      version: ${pin}`]);
    // The generator agrees: promoting production drops the hold, with nothing left to merge.
    const promoted = await runBin(['upgrade', '--environments', 'production'], { cwd: dir });
    expect(promoted.exitCode, promoted.all).toBe(0);
    expect(stored(dir).answers['environment-versions']).toBeUndefined();
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(`| postgres | cloudnative-pg | \`${pin}\` | \`${pin}\` |`);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    const valid = await runBin(['validate', dir], { cwd: dir });
    expect(valid.exitCode, valid.stdout).toBe(0);
  });
});
