import {
  Sidebar,
  SidebarDivider,
  SidebarGroup,
  SidebarItem,
  SidebarScrollWrapper,
  SidebarSpace,
} from '@backstage/core-components';
import { NavContentBlueprint } from '@backstage/plugin-app-react';
import { UserSettingsSignInAvatar } from '@backstage/plugin-user-settings';
import MenuIcon from '@material-ui/icons/Menu';
import { SidebarLogo } from './SidebarLogo';
import { usePermission } from '@backstage/plugin-permission-react';
import { portalOperatePermission } from '@internal/plugin-dezky-catalog-common';

export const SidebarContent = NavContentBlueprint.make({
  params: {
    component: ({ navItems }) => {
      // The raw catalog browser is for operators, as the server's policy
      // decides now (not the groups of the sign-in); partner staff work from
      // the Tenants and Partners pages. The server filters both either way.
      // eslint-disable-next-line react-hooks/rules-of-hooks
      const { allowed: isOperator } = usePermission({
        permission: portalOperatePermission,
      });
      const nav = navItems.withComponent(item => (
        <SidebarItem icon={() => item.icon} to={item.href} text={item.title} />
      ));

      const catalogItem = nav.take('page:catalog'); // taken either way: not in "rest"
      return (
        <Sidebar>
          <SidebarLogo />
          <SidebarDivider />
          <SidebarGroup label="Menu" icon={<MenuIcon />}>
            {nav.take('page:dezky-catalog')}
            {nav.take('page:dezky-catalog/tenants')}
            {nav.take('page:dezky-catalog/partners')}
            {/* everyone signed in: staff see their partner's events only */}
            {nav.take('page:audit')}
            {/* everyone signed in: staff read, operators change (server-enforced) */}
            {nav.take('page:flags')}
            {/* everyone signed in: operators' Refresh runs a probe round */}
            {nav.take('page:health')}
            {/* everyone signed in: staff see their partners' tenants (server-scoped) and read the prices */}
            {nav.take('page:billing')}
            {nav.take('page:billing/prices')}
            {/* everyone signed in: staff see their partners' figures (server-scoped) */}
            {nav.take('page:billing/reports')}
            {isOperator ? catalogItem : null}
            <SidebarDivider />
            <SidebarScrollWrapper>
              {nav.rest({ sortBy: 'title' })}
            </SidebarScrollWrapper>
          </SidebarGroup>
          <SidebarSpace />
          <SidebarDivider />
          <SidebarGroup
            label="Settings"
            icon={<UserSettingsSignInAvatar />}
            to="/settings"
          >
            {nav.take('page:user-settings')}
          </SidebarGroup>
        </Sidebar>
      );
    },
  },
});
