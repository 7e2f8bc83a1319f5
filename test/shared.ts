/**
 * The shared data set beside the project (../shared: schemas, chart data, real repositories). A bare clone
 * has none: the tests that exist to compare against it skip, and say so, instead of failing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export const SHARED_DIR = join(ROOT, '..', 'shared');
export const HAS_SHARED = existsSync(SHARED_DIR);
/** The reason a test that needs ../shared gives when it skips. */
export const NO_SHARED = `skipped: ${SHARED_DIR} is not there (a bare clone); it compares with the shared data set`;
if (!HAS_SHARED) console.warn(`[tests] ${SHARED_DIR} not found: tests that compare with the shared data set are skipped; the rest use the data shipped in the package`);

/** A test title that says, in a bare clone, why the test skipped: `it.skipIf(!HAS_SHARED)(needsShared('...'), ...)`. */
export const needsShared = (title: string) => (HAS_SHARED ? title : `${title} (${NO_SHARED})`);
