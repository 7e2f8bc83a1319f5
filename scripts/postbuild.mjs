// After tsc: make the bin executable and regenerate the files derived from the question table.
import { chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

chmodSync(new URL('../dist/bin/haven-plus.js', import.meta.url), 0o755);
execFileSync(process.execPath, [new URL('../dist/scripts/write-reference.js', import.meta.url).pathname], { stdio: 'inherit' });
