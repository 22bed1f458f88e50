// The app API of a process that serves no request (a mule, a spooler): the worker's API over the
// shared services it attached, with no dispatcher and a harakiri object made on first use (only
// setUserHarakiri() needs one there).

import { resolve } from 'node:path';
import { installRuntime } from '../api/runtime.js';
import { WorkerApi } from './api-runtime.js';
import { WorkerHarakiri } from './harakiri.js';
import { installPackageResolve } from './package-resolve.js';
import type { WorkerPlan } from './plan.js';
import type { attachProcessServices } from './process-services.js';

export function installBackgroundRuntime(
  plan: WorkerPlan,
  shared: ReturnType<typeof attachProcessServices>,
  log: (line: string) => void,
): void {
  let harakiri: WorkerHarakiri | undefined;
  // a mule script or a spooler's module imports 'uwsgi-ts' as an app does (package-resolve.ts)
  const files = plan.apps.filter((a) => !a.python).map((a) => resolve(process.cwd(), a.file));
  if (plan.mule?.script !== undefined) files.push(resolve(process.cwd(), plan.mule.script));
  // a spooler may import modules no app names (spooler-import): unknown, so the hook goes in
  installPackageResolve(plan.spooler ? [] : files);
  installRuntime(
    new WorkerApi({
      plan,
      shared,
      log,
      dispatcher: () => undefined,
      harakiri: () => {
        harakiri ??= new WorkerHarakiri(0, (m) => process.send?.(m), log, false);
        return harakiri;
      },
    }),
  );
}
