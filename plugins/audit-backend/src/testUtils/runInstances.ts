import { ChildProcess, fork } from 'child_process';
import type { WorkerConfig, WorkerMessage } from './appendWorker';

export type { WorkerConfig } from './appendWorker';
export type InstanceResult = Extract<WorkerMessage, { type: 'done' }>;

/**
 * Runs one appendWorker process per config, all released at the same moment:
 * each opens its pool and reports ready, and only when every one is ready do
 * they all get `go`. Resolves with their results, in config order; rejects
 * (and kills the rest) when one fails or exits early, or after `timeoutMs`.
 */
export async function runInstances(
  configs: WorkerConfig[],
  options: { timeoutMs?: number } = {},
): Promise<InstanceResult[]> {
  // the .ts source (jest and the nodeTransform require hook both resolve
  // it): this runs from the source tree, not from the built package
  const worker = require.resolve('./appendWorker');
  const hook = require.resolve('@backstage/cli/config/nodeTransform.cjs');
  const timeoutMs = options.timeoutMs ?? 600_000;
  const children: ChildProcess[] = [];
  const stopAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  };
  try {
    const results = configs.map(config => {
      const child = fork(worker, [], {
        execPath: process.execPath,
        execArgv: ['--require', hook],
        env: { ...process.env, AUDIT_APPEND_WORKER: JSON.stringify(config) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      let ready!: () => void;
      const isReady = new Promise<void>(r => (ready = r));
      const done = new Promise<InstanceResult>((resolve, reject) => {
        child.on('message', (m: WorkerMessage) => {
          if (m.type === 'ready') ready();
          else if (m.type === 'done') resolve(m);
          else if (m.type === 'error')
            reject(new Error(`instance ${m.instance}: ${m.message}`));
        });
        child.on('error', reject);
        child.on('exit', (code, signal) =>
          reject(
            new Error(
              `instance ${config.instance} exited (${
                signal ?? code
              }) before it was done`,
            ),
          ),
        );
      });
      done.catch(() => {}); // awaited below; never an unhandled rejection
      return { child, isReady, done };
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`instances not done after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      // an instance failing before it is ready must not leave us waiting
      const failed = Promise.race(results.map(r => r.done)).then(
        () => new Promise<never>(() => {}),
      );
      await Promise.race([
        Promise.all(results.map(r => r.isReady)),
        failed,
        timeout,
      ]);
      for (const r of results) r.child.send({ type: 'go' });
      const all = await Promise.race([
        Promise.all(results.map(r => r.done)),
        timeout,
      ]);
      // let them close their pools and exit
      const exited = (c: ChildProcess) =>
        new Promise<void>(resolve =>
          c.exitCode !== null || c.signalCode !== null
            ? resolve()
            : c.once('exit', () => resolve()),
        );
      await Promise.race([
        Promise.all(results.map(r => exited(r.child))),
        timeout,
      ]);
      return all;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    stopAll();
  }
}
