#!/usr/bin/env node
/**
 * The package.json a packed tarball carries: without the `prepare` script. In a checkout `prepare` builds
 * dist/ (`npm ci`, and npm's git-URL installs, `--validator git+https://…`); a tarball already holds dist/,
 * and npm 11 names every install script of a globally installed tarball as "not yet covered by
 * allowScripts", so a user installing it would be asked to allow a script that never runs there.
 *
 *   node scripts/pack-manifest.mjs strip     (prepack, after the build: keeps the checkout's package.json aside)
 *   node scripts/pack-manifest.mjs restore   (postpack: puts it back)
 *
 * npm reads the manifest again after prepack, so `prepare` does not run then: prepack builds dist/ itself.
 * An interrupted pack leaves the copy aside; the next strip or restore puts it back first.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const manifest = fileURLToPath(new URL('../package.json', import.meta.url));
const aside = `${manifest}.packing`;

const restore = () => {
  if (existsSync(aside)) renameSync(aside, manifest);
};

const command = process.argv[2];
if (command === 'restore') {
  restore();
} else if (command === 'strip') {
  restore();
  const text = readFileSync(manifest, 'utf8');
  const pkg = JSON.parse(text);
  writeFileSync(aside, text);
  // The pack scripts too: they run only in a checkout, with this script beside them.
  for (const script of ['prepare', 'prepack', 'postpack']) delete pkg.scripts[script];
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else {
  process.stderr.write('usage: pack-manifest.mjs strip|restore\n');
  process.exit(2);
}
