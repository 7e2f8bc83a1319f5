/** Runs the kubectl builds of a repository in a worker thread, so they proceed while the main thread validates. */
import { parentPort, workerData } from 'node:worker_threads';
import { buildAll } from './kustomize.js';

const { root, dirs } = workerData as { root: string; dirs?: string[] };
parentPort!.postMessage(await buildAll(root, dirs));
