#!/usr/bin/env node
/**
 * The package.json a packed tarball carries: without the `prepare` script. In a checkout `prepare` builds
 * dist/ (`npm ci`; npm's git-URL installs run it too, and keep it, which is right there); a tarball already
 * holds dist/, and npm 11 names every install script of a globally installed tarball as "not yet covered by
 * allowScripts", so a user installing it would be asked to allow a script that never runs there.
 *
 *   node scripts/pack-manifest.mjs strip     (prepack, after the build: keeps the checkout's package.json aside)
 *   node scripts/pack-manifest.mjs restore   (postpack: puts it back)
 *
 * npm reads the manifest again after prepack, so `prepare` does not run then: prepack builds dist/ itself.
 * `npm pack --ignore-scripts` runs neither: no build, and the packed manifest keeps `prepare`.
 * Never loses the checkout's manifest: the copy aside is made only where none is there (an interrupted pack,
 * or one running at the same time, is said and stops this one), and it is put back only over the stripped
 * manifest this script wrote; anything else is said, and both files are left for the user.
 */
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const manifest = fileURLToPath(new URL('../package.json', import.meta.url));
const aside = `${manifest}.packing`;
const PACK_SCRIPTS = ['prepare', 'prepack', 'postpack'];

const fail = (message) => {
  process.stderr.write(`pack-manifest: ${message}\n`);
  process.exit(1);
};
/** The manifest as packed: the checkout's, without the scripts that build and pack it. */
const stripped = (text) => {
  const pkg = JSON.parse(text);
  for (const script of PACK_SCRIPTS) delete pkg.scripts[script];
  return `${JSON.stringify(pkg, null, 2)}\n`;
};

const command = process.argv[2];
if (command === 'strip') {
  const text = readFileSync(manifest, 'utf8');
  try {
    writeFileSync(aside, text, { flag: 'wx' });
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
    fail(`${aside} is there: an earlier npm pack was interrupted, or another is running. If none is running, put the checkout's manifest back (mv package.json.packing package.json) and pack again.`);
  }
  writeFileSync(manifest, stripped(text));
} else if (command === 'restore') {
  if (!existsSync(aside)) process.exit(0);
  const original = readFileSync(aside, 'utf8');
  if (readFileSync(manifest, 'utf8') !== stripped(original)) fail(`package.json changed while it was packed: kept as it is, and the checkout's manifest is in ${aside}; merge them by hand.`);
  renameSync(aside, manifest);
  if (existsSync(aside)) unlinkSync(aside);
} else {
  process.stderr.write('usage: pack-manifest.mjs strip|restore\n');
  process.exit(2);
}
