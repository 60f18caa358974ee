/**
 * Test and benchmark helpers of the audit backend, from the source tree:
 * "backend instances" appending as separate OS processes (runInstances, the
 * worker forks appendWorker.ts with the TypeScript require hook of
 * @backstage/cli) and realistic sample events. Used by twoInstances.test.ts
 * and scripts/bench/audit.
 *
 * @packageDocumentation
 */
export { runInstances } from './runInstances';
export type { InstanceResult, WorkerConfig } from './runInstances';
export { sampleEvent } from './sampleEvents';
