// After tsc: make the bin executable, regenerate the files derived from the question table, and
// do once what every run would repeat (dist/prebuilt: parsed YAML, templates, validators).
import { chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

chmodSync(new URL('../dist/bin/haven-plus.js', import.meta.url), 0o755);
execFileSync(process.execPath, [new URL('../dist/scripts/write-reference.js', import.meta.url).pathname], { stdio: 'inherit' });
execFileSync(process.execPath, [new URL('../dist/scripts/build-prebuilt.js', import.meta.url).pathname], { stdio: 'inherit' });
