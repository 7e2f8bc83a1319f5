/**
 * The packed tarball's package.json has no `prepare` (npm 11 asks a global install to allow it, though it never
 * runs there), and `npm pack` leaves the checkout's package.json as it was, also after an interrupted pack.
 * .ci/run packs the real thing and installs it, checking npm asks nothing.
 */
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';

describe('scripts/pack-manifest.mjs (prepack and postpack)', () => {
  it('strips the build scripts for the tarball and puts the checkout\'s manifest back byte for byte', async () => {
    const dir = tempDir('hp-pack-');
    mkdirSync(join(dir, 'scripts'));
    cpSync(join(ROOT, 'scripts', 'pack-manifest.mjs'), join(dir, 'scripts', 'pack-manifest.mjs'));
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    const original = readFileSync(join(dir, 'package.json'), 'utf8');
    const run = (command: string) => execa(process.execPath, [join(dir, 'scripts', 'pack-manifest.mjs'), command], { reject: false });
    const pkg = JSON.parse(original) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepare).toBe('npm run build');
    // npm reads the manifest again after prepack and so skips prepare: prepack builds first.
    expect(pkg.scripts.prepack).toMatch(/^npm run build && node scripts\/pack-manifest\.mjs strip$/);

    expect((await run('strip')).exitCode).toBe(0);
    const packedText = readFileSync(join(dir, 'package.json'), 'utf8');
    const packed = JSON.parse(packedText) as typeof pkg;
    expect(Object.keys(packed.scripts)).toEqual(Object.keys(pkg.scripts).filter((s) => !['prepare', 'prepack', 'postpack'].includes(s)));
    expect({ ...packed, scripts: undefined }).toEqual({ ...pkg, scripts: undefined });
    // A second strip (an interrupted pack, or two at once) stops, says what to do, and changes nothing.
    const again = await run('strip');
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('an earlier npm pack was interrupted, or another is running');
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(packedText);
    expect(readFileSync(join(dir, 'package.json.packing'), 'utf8')).toBe(original);
    expect((await run('restore')).exitCode).toBe(0);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(original);
    expect(existsSync(join(dir, 'package.json.packing'))).toBe(false);
    // An edit to the stripped manifest while packing is never overwritten: both are kept, and said.
    expect((await run('strip')).exitCode).toBe(0);
    writeFileSync(join(dir, 'package.json'), packedText.replace('"license"', '"private": true,\n  "license"'));
    const edited = await run('restore');
    expect(edited.exitCode).toBe(1);
    expect(edited.stderr).toContain('package.json changed while it was packed');
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toContain('"private": true');
    expect(readFileSync(join(dir, 'package.json.packing'), 'utf8')).toBe(original);
    expect((await run('bogus')).exitCode).toBe(2);
  });
});
