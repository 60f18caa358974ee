export { createOfrepRouter, OFREP_REASONS } from './router';
export type {
  OfrepRouterOptions,
  OfrepEvaluation,
  OfrepReason,
} from './router';
