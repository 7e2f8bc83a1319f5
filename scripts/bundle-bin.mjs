// Part of `npm run build`: bundles the bin (dist/bin/haven-plus.js, as tsc wrote it) with its
// dependencies into the same file plus chunks under dist/bin/chunks, with esbuild.
//
// Why: Node 20 loads an ES module graph file by file, and Yeoman's graph is about 2 400 modules (npm's
// tooling, lodash-es, inquirer). Loading them was 0.75 s of a 1.1 s one-cluster run; one bundle loads in
// a fraction of that. `yo haven-plus` keeps using the unbundled generators in dist/generators, and the
// dependencies stay installed: generated validator code, Handlebars' runtime and the kubectl worker load
// from them at run time.
//
// Bundled modules that find files next to themselves (`import.meta.url`, `__dirname`, `__filename`)
// would otherwise look beside the bundle. Each such use is rewritten to the module's own path inside
// its package as installed, found at run time through Node's resolution from the bundle (so the
// bundle holds no path of the machine that built it, and installs anywhere).
import * as esbuild from 'esbuild';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const binDir = join(root, 'dist', 'bin');
const entry = join(binDir, 'haven-plus.js');

/** The package a file belongs to: the nearest package.json with a name (not a `{"type": ...}` marker). */
function packageOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name } = JSON.parse(readFileSync(manifest, 'utf8'));
    if (name) return { name, path: relative(dir, file).split(sep).join('/') };
  }
  throw new Error(`bundle-bin: ${file} is in no package`);
}

// Free `__dirname`/`__filename` (not a property, not declared by the module itself) and `import.meta.url`.
const FREE = (name) => new RegExp(`(?<![\\w$.])${name}(?![\\w$])`, 'g');
const DECLARES = /\b(?:const|let|var)\s+(?:__dirname|__filename)\b/;

const ownPaths = {
  name: 'own-paths',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!/import\.meta\.url|__dirname|__filename/.test(text)) return undefined;
      const { name, path } = packageOf(args.path);
      const at = `${JSON.stringify(name)}, ${JSON.stringify(path)}`;
      let contents = text.replace(/\bimport\.meta\.url\b/g, `__hpModuleUrl(${at})`);
      if (!DECLARES.test(text)) {
        contents = contents.replace(FREE('__dirname'), `__hpModuleDir(${at})`).replace(FREE('__filename'), `__hpModulePath(${at})`);
      }
      return { contents, loader: 'js' };
    });
  },
};

// fly-import (Yeoman's environment makes a FlyRepository at start) imports npm's Arborist, and with it pacote,
// sigstore and the registry client: 2.4 MiB of the bundle, a quarter of a generation's start (read, decoded and
// compiled), for installing generators from npm, which haven-plus never does. Arborist is left out of the bundle
// and loaded from the installed package, resolved from fly-import's own location, when a FlyRepository first
// needs it (a call esbuild cannot follow, so it is not bundled), so nothing changes for code that uses it.
const lazyArborist = {
  name: 'lazy-arborist',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]fly-import[\\/]dist[\\/]fly-import\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const eager = "import Arborist from '@npmcli/arborist';";
      if (!text.includes(eager) || !text.includes('new Arborist(')) throw new Error(`bundle-bin: ${args.path} no longer imports Arborist as expected: review the lazy-arborist plugin`);
      return { contents: text.replace(eager, '').replace('new Arborist(', `new (__hpCreateRequire(__hpModulePath(${JSON.stringify('fly-import')}, ${JSON.stringify('dist/fly-import.js')}))('@npmcli/arborist'))(`), loader: 'js' };
    });
  },
};

// @inquirer/external-editor (inquirer's `editor` prompt, which haven-plus never asks) imports iconv-lite and
// chardet, 0.65 MiB with every encoding table: loaded from the installed packages, resolved from the editor's own
// location, when an editor's file is first read back instead.
const lazyEncodings = {
  name: 'lazy-encodings',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]@inquirer[\\/]external-editor[\\/]dist[\\/]index\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const eager = ["import { detect } from 'chardet';", "import iconv from 'iconv-lite';"];
      if (eager.some((line) => !text.includes(line))) throw new Error(`bundle-bin: ${args.path} no longer imports chardet and iconv-lite as expected: review the lazy-encodings plugin`);
      const from = `__hpCreateRequire(__hpModulePath(${JSON.stringify('@inquirer/external-editor')}, ${JSON.stringify('dist/index.js')}))`;
      const lazy = [
        `const detect = (...args) => ${from}('chardet').detect(...args);`,
        `const iconv = { encodingExists: (...args) => ${from}('iconv-lite').encodingExists(...args), decode: (...args) => ${from}('iconv-lite').decode(...args) };`,
      ];
      const other = [...text.matchAll(/\biconv\.(\w+)/g)].map((m) => m[1]).find((u) => u !== 'encodingExists' && u !== 'decode');
      if (other) throw new Error(`bundle-bin: ${args.path} uses iconv.${other}: review the lazy-encodings plugin`);
      return { contents: text.replace(eager[0], lazy[0]).replace(eager[1], lazy[1]), loader: 'js' };
    });
  },
};

// Defined at the top of every output file. A package is looked up along Node's own search path
// (`require.resolve.paths`), reading its directory rather than resolving an entry, so packages whose
// `exports` hide package.json are found too. A package that cannot be found (only possible for a
// nested copy no code path here uses) gets the bundle's own location rather than failing the start.
const banner = `import { createRequire as __hpCreateRequire } from 'node:module';
import { existsSync as __hpExists } from 'node:fs';
import { dirname as __hpDirname, join as __hpJoin } from 'node:path';
import { fileURLToPath as __hpFileURLToPath, pathToFileURL as __hpPathToFileURL } from 'node:url';
const require = __hpCreateRequire(import.meta.url);
const __hpRoots = new Map();
function __hpModulePath(name, path) {
  if (!__hpRoots.has(name)) {
    const found = (require.resolve.paths(name) ?? []).map((dir) => __hpJoin(dir, name)).find((dir) => __hpExists(__hpJoin(dir, 'package.json')));
    __hpRoots.set(name, found);
  }
  const root = __hpRoots.get(name);
  return root ? __hpJoin(root, path) : __hpFileURLToPath(import.meta.url);
}
const __hpModuleDir = (name, path) => __hpDirname(__hpModulePath(name, path));
const __hpModuleUrl = (name, path) => __hpPathToFileURL(__hpModulePath(name, path)).href;`;

rmSync(join(binDir, 'chunks'), { recursive: true, force: true });
rmSync(`${entry}.map`, { force: true }); // tsc's map describes the unbundled file
const result = await esbuild.build({
  entryPoints: [entry],
  outdir: binDir,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [lazyArborist, lazyEncodings, ownPaths],
  banner: { js: banner },
  logLevel: 'warning',
  metafile: true,
});
const modules = Object.keys(result.metafile.inputs).length;
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
// On stderr: `npm pack` runs the build and prints the tarball's name on stdout.
console.error(`bundled the bin: ${modules} modules into ${Object.keys(result.metafile.outputs).length} files (${(bytes / 1024 / 1024).toFixed(1)} MiB)`);
