import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Run the portal as a platform operator: what the UI offers operators only
 * (the raw catalog browser, the "Operator" role line). Every action has its
 * own permission as well, which the server checks; this one only tells the
 * portal whom to show operator tooling. The Dezky policy allows it to
 * operators and denies it to everyone else.
 */
export const portalOperatePermission = createPermission({
  name: 'dezky.portal.operate',
  attributes: {},
});
