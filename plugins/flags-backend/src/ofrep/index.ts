export { createOfrepRouter, ifNoneMatchMatches, OFREP_REASONS } from './router';
export type {
  OfrepRouterOptions,
  OfrepEvaluation,
  OfrepReason,
} from './router';
