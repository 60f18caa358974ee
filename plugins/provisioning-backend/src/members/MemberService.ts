import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { auditActorOf, AuditTrailService } from '@internal/plugin-audit-node';
import {
  AuthentikApi,
  AuthentikGroup,
  AuthentikPeopleApi,
  AuthentikPerson,
} from '../clients/AuthentikClient';
import { OcisPeopleApi } from '../clients/OcisClient';
import { StalwartApi, StalwartMailboxApi } from '../clients/StalwartClient';
import { SystemError } from '../clients/SystemHttp';
import { ProvisioningStore, StoredTenant } from '../database/ProvisioningStore';
import { backoffMs } from '../engine/backoff';
import { DesiredTenant } from '../engine/desired';
import { ProvisioningScope } from '../service/ProvisioningService';
import { frozenPermissions } from '../steps/stalwartStep';
import { oneTimePassword } from './oneTimePassword';
import {
  MemberActionResult,
  MemberRole,
  MemberStepOutcome,
  TenantMember,
  TenantMemberList,
} from '@internal/plugin-provisioning-common';

/** The user attribute holding a person's memberships: `{ <tenant ref>: { role, mailbox?, suspended? } }`. */
export const MEMBERSHIP_ATTRIBUTE = 'dezkyMembers';
/** The group attribute naming a tenant group's tenant (set by the authentik step). */
const TENANT_ATTRIBUTE = 'dezkyTenant';
/** The permissions a frozen mailbox loses (as the tenant suspension does). */
const FROZEN = ['authenticate', 'emailSend'];
/** Attempts per call before a step is reported failed (the reconcile steps' backoff between them). */
export const MEMBER_STEP_ATTEMPTS = 3;

interface Membership {
  role: MemberRole;
  mailbox?: string;
  suspended?: boolean;
}

type Memberships = Record<string, Membership>;

const lower = (s: string) => s.trim().toLocaleLowerCase('en-US');

const membershipsOf = (p: Pick<AuthentikPerson, 'attributes'>) => ({
  ...((p.attributes[MEMBERSHIP_ATTRIBUTE] ?? {}) as Memberships),
});

const skipped = (
  step: MemberStepOutcome['step'],
  message: string,
): MemberStepOutcome => ({ step, status: 'skipped', attempts: 0, message });

type PermissionSet = Record<string, boolean>;

const isFrozen = (p: Record<string, unknown>) =>
  (p.disabledPermissions as PermissionSet | undefined)?.authenticate === true;

/** The tenant a member action works on, with what provisioning created for it. */
interface MemberTenant {
  tenantRef: string;
  name: string;
  partnerRef?: string;
  status: StoredTenant['status'];
  desired: DesiredTenant;
  /** The tenant's Authentik group (the authentik step's `groupId`). */
  groupId?: string;
  /** The tenant's Stalwart domain ids, by domain name. */
  domainIds: Map<string, string>;
}

/** Whether the caller may manage a tenant's members (the policy's decision for it). */
export type MemberRights = (t: {
  tenantRef: string;
  partnerRef?: string;
}) => boolean;

/** Who is asking, and from where. */
export interface MemberCaller {
  credentials: BackstageCredentials;
  ip?: string;
}

/** Why an action was refused: 403, 400, 404 or 409. */
export class MemberRefusal extends Error {
  constructor(
    readonly kind: 'forbidden' | 'invalid' | 'notFound' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

export type MemberAction =
  | 'create'
  | 'suspend'
  | 'resume'
  | 'logout'
  | 'reset-password'
  | 'remove';

/** A failed call worth another try: a network failure, a timeout, 429 or 5xx. */
const retryable = (error: unknown) =>
  error instanceof SystemError &&
  (error.status === undefined || error.status === 429 || error.status >= 500);

/**
 * A tenant's members: people in Authentik (the tenant's group), their
 * mailboxes in Stalwart (on the tenant's primary domain) and their OCIS
 * accounts — listed in bulk and managed through the systems' APIs
 * (docs/provisioning.md#members). One-time passwords are returned to the
 * caller and never stored, logged or audited.
 */
export class MemberService {
  constructor(
    private readonly deps: {
      store: Pick<ProvisioningStore, 'conditions' | 'tenant'>;
      find(
        name: string,
        scope: ProvisioningScope,
      ): Promise<StoredTenant | undefined>;
      authentik?: Pick<
        AuthentikApi,
        | 'setUserActive'
        | 'userSessions'
        | 'endSession'
        | 'deleteUser'
        | 'removeFromGroup'
      > &
        AuthentikPeopleApi;
      stalwart?: Pick<
        StalwartApi,
        'domainAccounts' | 'setPermissions' | 'destroy'
      > &
        StalwartMailboxApi;
      ocis?: OcisPeopleApi;
      trail: AuditTrailService;
      /** The caller's email (their catalog User's `spec.profile.email`), by entity ref. */
      userEmail(userRef: string): Promise<string | undefined>;
      /** The wait before retry `n` (ms); the reconcile steps' backoff by default. */
      retryDelayMs?: (attempt: number) => number;
      now?: () => number;
    },
  ) {}

  // ------------------------------------------------------------------ list

  async list(
    name: string,
    scope: ProvisioningScope,
  ): Promise<TenantMemberList> {
    const tenant = await this.tenant(name, scope);
    if (!tenant.groupId) return { items: [], provisioned: false };
    const people = await this.authentik().groupPeople(tenant.groupId);
    const mailboxes = await this.mailboxStates(tenant);
    // Authentik's Device has no user field: the authenticators are read per
    // user (`?user=<pk>`), the only filter the API offers
    const mfa = await Promise.all(
      people.map(p => this.authentik().confirmedAuthenticators(p.pk)),
    );
    return {
      items: people.map((p, i) =>
        this.memberOf(tenant, p, mailboxes, mfa[i] > 0),
      ),
      provisioned: true,
    };
  }

  // ---------------------------------------------------------------- create

  async create(
    name: string,
    scope: ProvisioningScope,
    rights: MemberRights,
    caller: MemberCaller,
    body: () => { name: string; email: string; role: MemberRole },
  ): Promise<MemberActionResult> {
    const tenant = await this.tenant(name, scope);
    return this.audited(caller, tenant, 'create', undefined, async audit => {
      this.authorize(tenant, rights);
      let input: { name: string; email: string; role: MemberRole };
      try {
        input = body();
      } catch (error) {
        throw new MemberRefusal('invalid', (error as Error).message);
      }
      const email = lower(input.email);
      audit.member = { name: email };
      audit.metadata.email = email;
      audit.metadata.role = input.role;
      this.requireActive(tenant);
      const groupId = this.requireGroup(tenant);
      const ak = this.authentik();
      const password = oneTimePassword();
      audit.secret = password;
      const passwordFor: Array<'sso' | 'mailbox'> = [];
      const steps: MemberStepOutcome[] = [];
      const primary = tenant.desired.domains[0];
      const address = primary ? `${email.split('@')[0]}@${primary}` : undefined;

      // the identity: one per person (same email), added to this tenant's group
      const found = pick(await ak.findPeople(email), email);
      const before: Memberships = found ? membershipsOf(found) : {};
      const inGroup = !!found && found.groups.some(g => g.pk === groupId);
      if (
        found &&
        inGroup &&
        before[tenant.tenantRef] &&
        (await this.complete(tenant, found, before))
      ) {
        throw new MemberRefusal(
          'conflict',
          `${email} is already a member of ${tenant.name}`,
        );
      }
      let person: AuthentikPerson | undefined;
      let createdPk: number | undefined;
      const sso = await this.step('authentik', password, async () => {
        if (found) {
          const memberships: Memberships = {
            ...before,
            [tenant.tenantRef]: {
              ...before[tenant.tenantRef],
              role: input.role,
              ...(address ? { mailbox: address } : {}),
            },
          };
          await ak.setAttributes(found.pk, {
            ...found.attributes,
            [MEMBERSHIP_ATTRIBUTE]: memberships,
          });
          if (!inGroup) await ak.addToGroup(groupId, found.pk);
          person = found;
          audit.member = { id: String(found.pk), name: email };
          audit.metadata.identity = 'existing';
          return `the person's existing identity ${found.username} (${found.pk}) added to the tenant; their SSO password is unchanged`;
        }
        if (createdPk === undefined) {
          const created = await ak.createPerson({
            username: email,
            name: input.name,
            email,
            groups: [groupId],
            attributes: {
              [MEMBERSHIP_ATTRIBUTE]: {
                [tenant.tenantRef]: {
                  role: input.role,
                  ...(address ? { mailbox: address } : {}),
                },
              },
            },
          });
          if (!created) {
            throw new SystemError(
              'authentik',
              `create user ${email}`,
              'the username was taken meanwhile: try again',
              503,
            );
          }
          createdPk = created.pk;
          person = created;
          audit.member = { id: String(created.pk), name: email };
          audit.metadata.identity = 'created';
        }
        await ak.setPassword(createdPk, password);
        passwordFor.push('sso');
        return `user ${email} (${createdPk}) created in group ${tenant.name} with the one-time password`;
      });
      steps.push(sso);
      if (sso.status !== 'ok' || !person) {
        steps.push(skipped('stalwart', 'the SSO identity was not created'));
        steps.push(skipped('ocis', 'the SSO identity was not created'));
        return { steps };
      }
      const who = person;

      steps.push(
        await this.mailboxStep(
          tenant,
          address,
          async (domainId, local) => {
            const made = await this.stalwart().createMailbox({
              name: local,
              domainId,
              password,
            });
            if (made.existed) {
              if (before[tenant.tenantRef]?.mailbox !== address) {
                throw new MemberRefusal(
                  'conflict',
                  `the address ${address} is taken by another account`,
                );
              }
              // left by an earlier, partial create of this member
              await this.stalwart().setMailboxPassword(made.id, password);
            }
            passwordFor.push('mailbox');
            return `mailbox ${address} (${made.id}) ${
              made.existed ? 'completed' : 'created'
            } with the one-time password`;
          },
          password,
        ),
      );

      steps.push(
        await this.ocisStep(tenant, password, async ocis => {
          const made = await ocis.createUser({
            username: who.username,
            displayName: input.name,
            mail: email,
          });
          return made.existed
            ? `the person's OCIS account ${made.user.id} kept`
            : `OCIS account ${made.user.id} created (sign-in through SSO)`;
        }),
      );
      audit.metadata.steps = steps;
      audit.metadata.passwordSetFor = passwordFor;
      const member = await this.reread(tenant, who.pk);
      return {
        ...(member ? { member } : {}),
        steps,
        ...(passwordFor.length > 0
          ? { oneTimePassword: password, passwordFor }
          : {}),
      };
    });
  }

  // --------------------------------------------------------------- actions

  /**
   * Suspend, resume, force logout, reset password, remove: one member of
   * the tenant (`id`: the Authentik user pk).
   */
  async act(
    action: Exclude<MemberAction, 'create'>,
    name: string,
    id: string,
    scope: ProvisioningScope,
    rights: MemberRights,
    caller: MemberCaller,
  ): Promise<MemberActionResult> {
    const tenant = await this.tenant(name, scope);
    return this.audited(caller, tenant, action, { id }, async audit => {
      this.authorize(tenant, rights);
      const groupId = this.requireGroup(tenant);
      const pk = /^[1-9][0-9]{0,15}$/.test(id) ? Number(id) : undefined;
      const person = pk ? await this.authentik().getPerson(pk) : undefined;
      if (!person || !person.groups.some(g => g.pk === groupId)) {
        throw new MemberRefusal(
          'notFound',
          `No member ${id} in tenant ${tenant.name}`,
        );
      }
      audit.member = { id, name: person.email || person.username };
      if (action !== 'reset-password' && action !== 'resume') {
        await this.refuseSelf(caller, person, action);
      }
      if (action === 'resume' || action === 'reset-password') {
        this.requireActive(tenant);
      }
      const others = otherGroups(person, groupId);
      switch (action) {
        case 'suspend':
          return this.suspend(tenant, person, others, true, audit);
        case 'resume':
          return this.suspend(tenant, person, others, false, audit);
        case 'logout':
          return this.logout(person, audit);
        case 'reset-password':
          return this.resetPassword(tenant, person, others, rights, audit);
        default:
          return this.remove(tenant, person, others, groupId, audit);
      }
    });
  }

  private async suspend(
    tenant: MemberTenant,
    person: AuthentikPerson,
    others: OtherGroups,
    suspend: boolean,
    audit: AuditDraft,
  ): Promise<MemberActionResult> {
    const ak = this.authentik();
    const memberships = membershipsOf(person);
    const mine = memberships[tenant.tenantRef] ?? { role: 'member' };
    if (suspend === (mine.suspended === true)) {
      throw new MemberRefusal(
        'conflict',
        `${person.email || person.username} is ${
          suspend ? 'already' : 'not'
        } suspended in ${tenant.name}`,
      );
    }
    const steps: MemberStepOutcome[] = [];
    steps.push(
      await this.step('authentik', undefined, async () => {
        await ak.setAttributes(person.pk, {
          ...person.attributes,
          [MEMBERSHIP_ATTRIBUTE]: {
            ...memberships,
            [tenant.tenantRef]: suspend
              ? { ...mine, suspended: true }
              : withoutSuspended(mine),
          },
        });
        if (others.count > 0) {
          return `SSO kept ${
            person.isActive ? 'active' : 'inactive'
          }: the identity is also in ${others.count} other group(s)`;
        }
        // Authentik ends an inactive user's sessions itself; the password is untouched
        await ak.setUserActive(person.pk, !suspend);
        return `SSO ${suspend ? 'deactivated' : 'activated'} (password kept)`;
      }),
    );
    steps.push(
      await this.mailboxStep(tenant, mine.mailbox, async (domainId, local) => {
        const account = await this.findMailbox(domainId, local);
        if (!account) return `no mailbox ${mine.mailbox} in Stalwart`;
        await this.stalwart().setPermissions([
          {
            id: account.id,
            permissions: suspend
              ? frozenPermissions(account.permissions)
              : unfrozen(account.permissions),
          },
        ]);
        return `mailbox ${mine.mailbox} ${
          suspend ? 'frozen' : 'unfrozen'
        } (password and mail kept)`;
      }),
    );
    audit.metadata.steps = steps;
    return this.answer(tenant, person.pk, steps);
  }

  private async logout(
    person: AuthentikPerson,
    audit: AuditDraft,
  ): Promise<MemberActionResult> {
    const ak = this.authentik();
    let ended = 0;
    const steps = [
      await this.step('authentik', undefined, async () => {
        // selected on the server by username, each checked to be this user's
        const sessions = await ak.userSessions(person);
        for (const uuid of sessions) {
          await ak.endSession(uuid);
          ended++;
        }
        return `${ended} session(s) ended`;
      }),
    ];
    audit.metadata.steps = steps;
    audit.metadata.sessionsEnded = ended;
    return { steps, sessionsEnded: ended };
  }

  private async resetPassword(
    tenant: MemberTenant,
    person: AuthentikPerson,
    others: OtherGroups,
    rights: MemberRights,
    audit: AuditDraft,
  ): Promise<MemberActionResult> {
    // the SSO password opens whatever else the identity is in: only someone
    // who may manage all of those tenants sets it, and nobody from here
    // when it is in a group that is no tenant's (e.g. the operators')
    if (others.nonTenant.length > 0) {
      throw new MemberRefusal(
        'forbidden',
        `${
          person.email || person.username
        } is also in the Authentik group ${others.nonTenant.join(
          ', ',
        )}, which is no tenant's: reset their password in Authentik`,
      );
    }
    for (const ref of others.tenants) {
      const other = await this.deps.store.tenant(ref);
      if (
        !rights({
          tenantRef: ref,
          ...(other?.partnerRef ? { partnerRef: other.partnerRef } : {}),
        })
      ) {
        throw new MemberRefusal(
          'forbidden',
          `${
            person.email || person.username
          } is also a member of a tenant you may not manage: their SSO password cannot be reset from ${
            tenant.name
          }`,
        );
      }
    }
    const password = oneTimePassword();
    audit.secret = password;
    const passwordFor: Array<'sso' | 'mailbox'> = [];
    const mine = membershipsOf(person)[tenant.tenantRef];
    const steps: MemberStepOutcome[] = [];
    steps.push(
      await this.step('authentik', password, async () => {
        await this.authentik().setPassword(person.pk, password);
        passwordFor.push('sso');
        return 'SSO password set to the new one-time password';
      }),
    );
    steps.push(
      await this.mailboxStep(
        tenant,
        mine?.mailbox,
        async (domainId, local) => {
          const account = await this.findMailbox(domainId, local);
          if (!account) {
            throw new MemberRefusal(
              'conflict',
              `no mailbox ${mine?.mailbox} in Stalwart`,
            );
          }
          await this.stalwart().setMailboxPassword(account.id, password);
          passwordFor.push('mailbox');
          return `mailbox ${mine?.mailbox} password set to the new one-time password`;
        },
        password,
      ),
    );
    audit.metadata.steps = steps;
    audit.metadata.passwordSetFor = passwordFor;
    return {
      steps,
      ...(passwordFor.length > 0
        ? { oneTimePassword: password, passwordFor }
        : {}),
    };
  }

  private async remove(
    tenant: MemberTenant,
    person: AuthentikPerson,
    others: OtherGroups,
    groupId: string,
    audit: AuditDraft,
  ): Promise<MemberActionResult> {
    const memberships = membershipsOf(person);
    const mine = memberships[tenant.tenantRef];
    const steps: MemberStepOutcome[] = [];
    // this tenant's mailbox: on this tenant's domain, no other tenant's
    steps.push(
      await this.mailboxStep(tenant, mine?.mailbox, async (domainId, local) => {
        const account = await this.findMailbox(domainId, local);
        if (!account) return `no mailbox ${mine?.mailbox} in Stalwart`;
        await this.stalwart().destroy('Account', [account.id]);
        return `mailbox ${mine?.mailbox} (${account.id}) deleted with its mail`;
      }),
    );
    const shared = others.count > 0;
    steps.push(
      await this.ocisStep(tenant, undefined, async ocis => {
        if (shared) {
          return `OCIS account kept: the identity is also in ${others.count} other group(s)`;
        }
        const user = await ocis.getUser(person.username);
        if (!user) return 'no OCIS account';
        await ocis.deleteUser(user.id);
        return `OCIS account ${user.id} deleted`;
      }),
    );
    steps.push(
      await this.step('authentik', undefined, async () => {
        const ak = this.authentik();
        if (shared) {
          const { [tenant.tenantRef]: _gone, ...rest } = memberships;
          await ak.setAttributes(person.pk, {
            ...person.attributes,
            [MEMBERSHIP_ATTRIBUTE]: rest,
          });
          await ak.removeFromGroup(groupId, person.pk);
          return `removed from group ${tenant.name}; the identity is kept for its ${others.count} other group(s)`;
        }
        await ak.deleteUser(person.pk);
        return `user ${person.username} (${person.pk}) deleted`;
      }),
    );
    audit.metadata.steps = steps;
    audit.metadata.identityKept = shared;
    return { steps };
  }

  // --------------------------------------------------------------- helpers

  private authentik() {
    if (!this.deps.authentik) {
      throw new MemberRefusal(
        'conflict',
        'Authentik is not configured (provisioning.authentik)',
      );
    }
    return this.deps.authentik;
  }

  private stalwart() {
    if (!this.deps.stalwart) {
      throw new MemberRefusal(
        'conflict',
        'Stalwart is not configured (provisioning.stalwart)',
      );
    }
    return this.deps.stalwart;
  }

  /** The tenant in the caller's scope (404 otherwise) with its group and domain ids. */
  private async tenant(
    name: string,
    scope: ProvisioningScope,
  ): Promise<MemberTenant> {
    const t = await this.deps.find(name, scope);
    if (!t) throw new MemberRefusal('notFound', `No tenant ${name}`);
    const conditions =
      (await this.deps.store.conditions([t.tenantRef])).get(t.tenantRef) ?? [];
    const external = (step: string) =>
      conditions.find(c => c.step === step)?.external ?? {};
    const domainIds = new Map<string, string>();
    for (const [key, value] of Object.entries(external('stalwart'))) {
      if (key.startsWith('domain:')) domainIds.set(key.slice(7), value);
    }
    const groupId = external('authentik').groupId;
    return {
      tenantRef: t.tenantRef,
      name: t.name,
      ...(t.partnerRef ? { partnerRef: t.partnerRef } : {}),
      status: t.status,
      desired: t.desired as DesiredTenant,
      ...(groupId ? { groupId } : {}),
      domainIds,
    };
  }

  private authorize(tenant: MemberTenant, rights: MemberRights) {
    if (
      !rights({
        tenantRef: tenant.tenantRef,
        ...(tenant.partnerRef ? { partnerRef: tenant.partnerRef } : {}),
      })
    ) {
      throw new MemberRefusal(
        'forbidden',
        'Not allowed: provisioning.tenant.members.manage',
      );
    }
  }

  private requireGroup(tenant: MemberTenant): string {
    if (!tenant.groupId) {
      throw new MemberRefusal(
        'conflict',
        `the tenant's Authentik group does not exist yet: provisioning has not created ${tenant.name} in Authentik`,
      );
    }
    return tenant.groupId;
  }

  private requireActive(tenant: MemberTenant) {
    if (tenant.status !== 'active') {
      throw new MemberRefusal(
        'conflict',
        `the tenant is ${tenant.status}: resume it first`,
      );
    }
  }

  /**
   * Nobody suspends, forces out or removes themselves: the caller's email
   * (their catalog User's `spec.profile.email`, else the entity name) is
   * compared, case-insensitively, with the member's Authentik email and
   * username.
   */
  private async refuseSelf(
    caller: MemberCaller,
    person: AuthentikPerson,
    action: string,
  ) {
    const principal = caller.credentials.principal as {
      type?: string;
      userEntityRef?: string;
    };
    if (principal.type !== 'user' || !principal.userEntityRef) return;
    const email = await this.deps.userEmail(principal.userEntityRef);
    const names = new Set(
      [email, principal.userEntityRef.replace(/^user:(default\/)?/i, '')]
        .filter((s): s is string => !!s)
        .map(lower),
    );
    if (names.has(lower(person.email)) || names.has(lower(person.username))) {
      throw new MemberRefusal(
        'forbidden',
        `You cannot ${action === 'logout' ? 'force out' : action} yourself`,
      );
    }
  }

  /** Whether a member already has everything this tenant gives: mailbox (if any domain) and OCIS account. */
  private async complete(
    tenant: MemberTenant,
    person: AuthentikPerson,
    memberships: Memberships,
  ): Promise<boolean> {
    const mailbox = memberships[tenant.tenantRef]?.mailbox;
    if (mailbox && this.wantsMail(tenant)) {
      const [local, domain] = mailbox.split('@');
      const domainId = tenant.domainIds.get(domain);
      if (!domainId || !(await this.findMailbox(domainId, local))) return false;
    }
    if (this.wantsOcis(tenant)) {
      if (!(await this.deps.ocis!.getUser(person.username))) return false;
    }
    return true;
  }

  private wantsMail(tenant: MemberTenant) {
    return (
      !!this.deps.stalwart && tenant.desired.integrations.includes('stalwart')
    );
  }

  private wantsOcis(tenant: MemberTenant) {
    return !!this.deps.ocis && tenant.desired.integrations.includes('ocis');
  }

  /** The member's mailbox step: skipped without mail; `fn` gets the domain id and local part. */
  private async mailboxStep(
    tenant: MemberTenant,
    address: string | undefined,
    fn: (domainId: string, local: string) => Promise<string>,
    secret?: string,
  ): Promise<MemberStepOutcome> {
    if (!this.wantsMail(tenant)) {
      return skipped('stalwart', 'the tenant has no mail (Stalwart)');
    }
    if (!address) {
      return skipped(
        'stalwart',
        'no mailbox: the tenant has no mail domain (spec.domains)',
      );
    }
    const [local, domain] = address.split('@');
    const domainId = tenant.domainIds.get(domain);
    if (!domainId) {
      return {
        step: 'stalwart',
        status: 'failed',
        attempts: 0,
        message: `the domain ${domain} does not exist in Stalwart yet (the tenant's stalwart step)`,
      };
    }
    return this.step('stalwart', secret, () => fn(domainId, local));
  }

  private async ocisStep(
    tenant: MemberTenant,
    secret: string | undefined,
    fn: (ocis: OcisPeopleApi) => Promise<string>,
  ): Promise<MemberStepOutcome> {
    if (!this.wantsOcis(tenant)) {
      return skipped('ocis', 'the tenant has no files (OCIS)');
    }
    const ocis = this.deps.ocis!;
    return this.step('ocis', secret, () => fn(ocis));
  }

  private async findMailbox(domainId: string, local: string) {
    const accounts = await this.stalwart().domainAccounts([domainId]);
    return accounts.find(a => lower(a.name) === lower(local));
  }

  /**
   * One system's part, retried like the reconcile steps (a network
   * failure, a timeout, 429 or 5xx: the engine's backoff, up to
   * {@link MEMBER_STEP_ATTEMPTS} attempts); a refusal fails it at once.
   * A secret never reaches the outcome's message.
   */
  private async step(
    step: MemberStepOutcome['step'],
    secret: string | undefined,
    fn: () => Promise<string>,
  ): Promise<MemberStepOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { step, status: 'ok', attempts: attempt, message: await fn() };
      } catch (error) {
        if (retryable(error) && attempt < MEMBER_STEP_ATTEMPTS) {
          const wait = (this.deps.retryDelayMs ?? backoffMs)(attempt);
          await new Promise(r => setTimeout(r, wait));
          continue;
        }
        const message = error instanceof Error ? error.message : String(error);
        return {
          step,
          status: 'failed',
          attempts: attempt,
          message: secret ? message.split(secret).join('[password]') : message,
        };
      }
    }
  }

  /** Mailbox states of this tenant's accounts, by address (one bulk read per domain set). */
  private async mailboxStates(tenant: MemberTenant) {
    const out = new Map<string, 'active' | 'frozen'>();
    if (!this.wantsMail(tenant) || tenant.domainIds.size === 0) return out;
    const names = new Map([...tenant.domainIds].map(([n, id]) => [id, n]));
    for (const a of await this.stalwart().domainAccounts([
      ...tenant.domainIds.values(),
    ])) {
      const domain = names.get(a.domainId);
      if (!domain) continue;
      out.set(
        lower(`${a.name}@${domain}`),
        isFrozen(a.permissions) ? 'frozen' : 'active',
      );
    }
    return out;
  }

  private memberOf(
    tenant: MemberTenant,
    p: AuthentikPerson,
    mailboxes: Map<string, 'active' | 'frozen'>,
    mfa: boolean,
  ): TenantMember {
    const mine = membershipsOf(p)[tenant.tenantRef];
    const address = mine?.mailbox;
    return {
      id: String(p.pk),
      name: p.name,
      email: p.email,
      username: p.username,
      role: mine?.role === 'admin' ? 'admin' : 'member',
      ssoActive: p.isActive,
      suspended: mine?.suspended === true,
      mailbox: address
        ? { address, state: mailboxes.get(lower(address)) ?? 'missing' }
        : null,
      lastSignIn: p.lastLogin,
      mfa,
      otherTenants: tenant.groupId
        ? otherGroups(p, tenant.groupId).tenants.length
        : 0,
    };
  }

  private async reread(
    tenant: MemberTenant,
    pk: number,
  ): Promise<TenantMember | undefined> {
    try {
      const p = await this.authentik().getPerson(pk);
      if (!p) return undefined;
      const mfa = (await this.authentik().confirmedAuthenticators(pk)) > 0;
      return this.memberOf(tenant, p, await this.mailboxStates(tenant), mfa);
    } catch {
      return undefined;
    }
  }

  private async answer(
    tenant: MemberTenant,
    pk: number,
    steps: MemberStepOutcome[],
  ): Promise<MemberActionResult> {
    const member = await this.reread(tenant, pk);
    return { ...(member ? { member } : {}), steps };
  }

  /**
   * Runs an action and audits it — refused ones too — as
   * `provisioning.member.<action>`. The one-time password is kept in the
   * draft only to make sure it is in nothing recorded.
   */
  private async audited(
    caller: MemberCaller,
    tenant: MemberTenant,
    action: MemberAction,
    member: { id: string } | undefined,
    fn: (audit: AuditDraft) => Promise<MemberActionResult>,
  ): Promise<MemberActionResult> {
    const audit: AuditDraft = {
      ...(member ? { member: { id: member.id } } : {}),
      metadata: {},
    };
    let result: MemberActionResult | undefined;
    let refusal: MemberRefusal | undefined;
    let failure: unknown;
    try {
      result = await fn(audit);
    } catch (error) {
      if (error instanceof MemberRefusal) refusal = error;
      else failure = error;
    }
    const failed =
      !!refusal ||
      !!failure ||
      (result?.steps ?? []).some(s => s.status === 'failed');
    const metadata: Record<string, unknown> = {
      ...audit.metadata,
      ...(refusal
        ? { refused: { kind: refusal.kind, message: refusal.message } }
        : {}),
      ...(failure
        ? { error: String((failure as Error)?.message ?? failure) }
        : {}),
    };
    let text = JSON.stringify(metadata);
    if (audit.secret) text = text.split(audit.secret).join('[password]');
    await this.deps.trail.record([
      {
        at: new Date((this.deps.now ?? Date.now)()).toISOString(),
        actor: auditActorOf(caller.credentials, caller.ip),
        action: `provisioning.member.${action}`,
        outcome: failed ? 'failure' : 'success',
        resource: {
          type: 'member',
          ...(audit.member?.id
            ? { ref: `authentik-user:${audit.member.id}` }
            : {}),
          ...(audit.member?.name ? { name: audit.member.name } : {}),
        },
        tenant: tenant.tenantRef,
        ...(tenant.partnerRef ? { partner: tenant.partnerRef } : {}),
        source: 'portal',
        metadata: JSON.parse(text),
      },
    ]);
    if (refusal) throw refusal;
    if (failure) throw failure;
    return result!;
  }
}

/** What an action collects for its audit event (never the password: `secret` is only scrubbed). */
interface AuditDraft {
  member?: { id?: string; name?: string };
  metadata: Record<string, unknown>;
  secret?: string;
}

/** The person among those found whose username is the email, else the first with that email. */
function pick(found: AuthentikPerson[], email: string) {
  return (
    found.find(p => lower(p.username) === email) ??
    found.find(p => lower(p.email) === email)
  );
}

/** The person's groups besides this tenant's: other tenants' (by ref) and any other (by name). */
interface OtherGroups {
  tenants: string[];
  nonTenant: string[];
  count: number;
}

function otherGroups(person: AuthentikPerson, groupId: string): OtherGroups {
  const others = person.groups.filter(g => g.pk !== groupId);
  const isTenant = (g: AuthentikGroup) =>
    typeof g.attributes[TENANT_ATTRIBUTE] === 'string';
  return {
    tenants: others
      .filter(isTenant)
      .map(g => String(g.attributes[TENANT_ATTRIBUTE])),
    nonTenant: others.filter(g => !isTenant(g)).map(g => g.name),
    count: others.length,
  };
}

function withoutSuspended(m: Membership): Membership {
  const { suspended: _s, ...rest } = m;
  return rest;
}

/** The account's permissions with the freeze lifted (`Inherit` when nothing else is set). */
function unfrozen(p: Record<string, unknown>): Record<string, unknown> {
  if (p['@type'] === 'Inherit') return p;
  const disabled = { ...((p.disabledPermissions ?? {}) as PermissionSet) };
  for (const k of FROZEN) delete disabled[k];
  const enabled = (p.enabledPermissions ?? {}) as PermissionSet;
  if (
    p['@type'] === 'Merge' &&
    Object.keys(disabled).length === 0 &&
    Object.keys(enabled).length === 0
  ) {
    return { '@type': 'Inherit' };
  }
  return { ...p, disabledPermissions: disabled };
}
