/**
 * Test helpers shared by every package of the portal.
 *
 * @packageDocumentation
 */
export { dezkyTestDatabases, describeOnPostgres } from './databases';
export { seededRandom } from './random';
export { parseCsv } from './csv';
