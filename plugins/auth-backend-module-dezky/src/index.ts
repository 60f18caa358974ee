/**
 * Sign-in for the Dezky portal.
 *
 * @packageDocumentation
 */
export { authModuleDezkyOidc as default } from './module';
export { createDezkySignInResolver, markingSignIns } from './signInResolver';
export {
  assertProductionConfig,
  isProduction,
  productionConfigProblems,
} from './productionConfig';
