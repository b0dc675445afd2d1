// Starting a worker thread on one of jupiter's own modules, from the built JavaScript or, when
// jupiter runs from its TypeScript source (tests run through tsx), from the source with tsx
// registered in the thread first.
import { Worker } from 'node:worker_threads';

/** A worker thread running the module `name` (without extension) beside the module at `from`. */
export function startThread(from: string, name: string): Worker {
  const here = new URL(from);
  if (!here.pathname.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here));
  const entry = new URL(`./${name}.ts`, here).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true });
}
