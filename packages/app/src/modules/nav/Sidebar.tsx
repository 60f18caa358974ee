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
import { useIsOperator } from '@internal/plugin-dezky-catalog';

export const SidebarContent = NavContentBlueprint.make({
  params: {
    component: ({ navItems }) => {
      // The raw catalog browser is for operators; partner staff work from the
      // Tenants and Partners pages. The server filters both either way.
      // eslint-disable-next-line react-hooks/rules-of-hooks
      const { isOperator } = useIsOperator();
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
