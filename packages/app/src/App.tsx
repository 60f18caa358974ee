import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import auditPlugin from '@internal/plugin-audit';
import billingPlugin from '@internal/plugin-billing';
import dezkyCatalogPlugin from '@internal/plugin-dezky-catalog';
import flagsPlugin from '@internal/plugin-flags';
import healthPlugin from '@internal/plugin-health';
import provisioningPlugin from '@internal/plugin-provisioning';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

export default createApp({
  features: [
    catalogPlugin,
    dezkyCatalogPlugin,
    auditPlugin,
    flagsPlugin,
    healthPlugin,
    provisioningPlugin,
    billingPlugin,
    navModule,
    signInModule,
  ],
});
