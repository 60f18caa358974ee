import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { dezkyAccessServiceRef } from '@internal/plugin-dezky-node';
import { DezkyPermissionPolicy } from './DezkyPermissionPolicy';

/** Installs the Dezky permission policy. */
export const permissionModuleDezkyPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'dezky-policy',
  register(env) {
    env.registerInit({
      deps: {
        policy: policyExtensionPoint,
        access: dezkyAccessServiceRef,
        config: coreServices.rootConfig,
      },
      async init({ policy, access, config }) {
        policy.setPolicy(
          new DezkyPermissionPolicy(access, {
            partnersMayTerminate:
              config.getOptionalBoolean(
                'provisioning.lifecycle.partnersMayTerminate',
              ) ?? false,
          }),
        );
      },
    });
  },
});
