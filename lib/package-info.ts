import { readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

/** The package root, found from this file whether it runs from dist/ or is bundled elsewhere. */
function findRoot(): string {
  let dir = dirname(here);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'generator-haven-plus') return dir;
    } catch {
      // keep looking upwards
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('generator-haven-plus: cannot find its own package.json');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findRoot();
const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
export const GENERATOR_NAME = pkg.name;
export const GENERATOR_VERSION = pkg.version;
/**
 * Whether this version is on the public npm registry, where the generated CI's default `--validator`
 * (`npx --package=generator-haven-plus@<version>`) fetches it. Set to true in the release that publishes it.
 */
export const PUBLISHED_ON_NPM = false;
export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');
/** The build's output: compiled code (bundled for the bin) and the prebuilt data (prebuilt.ts). */
export const DIST_DIR = join(PACKAGE_ROOT, 'dist');
/**
 * Whether this code runs from the build (dist/, bundled or not) rather than from the TypeScript
 * sources, as the unit tests do: only the build has the worker script and the prebuilt data.
 */
export const FROM_DIST = here.startsWith(DIST_DIR + sep);
