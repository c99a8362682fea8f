import { z } from 'zod';
import { findOrganizationById } from '../db/queries/organizations';
import { findUserWithOrganizationByEmail } from '../db/queries/users';
import { createOrganizationWithOwner, normalizeEmail } from '../domain/accounts';
import { createApiKey, revokeApiKey } from '../domain/api-keys';
import type { AuditActor } from '../domain/audit';
import { purgeEndedSessions } from '../domain/cleanup';
import { ACTIVATION_DELAY_SECONDS } from '../domain/signing-keys';
import type { Deps } from '../domain/deps';
import { changeOrganization, ORG_PLANS } from '../domain/organizations';
import { listUserSessions } from '../domain/sessions';
import { createApiKeyInput } from '../routers/api-keys/api-keys.schema';
import { email, registerInput } from '../routers/auth/auth.schema';
import { text } from '../routers/common.schema';
import { CommandError, parseFlags, UsageError } from './validate';
import { WEBHOOK_COMMANDS } from './webhook-commands';

type Flags = Record<string, string | boolean | undefined>;

export interface Command {
  summary: string;
  flags: Array<{ name: string; value?: string; help: string }>;
  /** Checks the flags before any database is opened, so a typo costs nothing. */
  parse(flags: Flags, readStdin: () => Promise<string>): Promise<unknown>;
  run(deps: Deps, input: any): Promise<{ text: string; json: unknown }>;
}

const organizationId = text(64).min(1);
const plan = z.enum(ORG_PLANS);

// Audit events of the CLI name it as the agent; there is no user or session behind them.
const adminActor = (organizationId: string): AuditActor => ({
  organizationId,
  userId: null,
  sessionId: null,
  origin: { ipAddress: null, userAgent: 'gatehouse-admin-cli' },
});

async function findUser(deps: Deps, address: string) {
  const found = await findUserWithOrganizationByEmail(deps.db, normalizeEmail(address));
  if (!found) throw new CommandError(`No user with email ${address}`);
  return found;
}

async function setOrganization(deps: Deps, id: string, changes: { status?: 'active' | 'suspended'; plan?: z.infer<typeof plan> }) {
  const organization = await changeOrganization(deps, id, changes);
  if (!organization) throw new CommandError(`No organization with id ${id}`);
  const { name, status, plan: currentPlan } = organization;
  return { text: `${name} (${id}): status ${status}, plan ${currentPlan}`, json: { id, name, status, plan: currentPlan } };
}

const orgFlag = { name: 'org', value: 'id', help: 'Organization id' };

export const COMMANDS: Record<string, Command> = {
  'create-org': {
    summary: 'Create an organization and its owner, and print its first API key (shown once)',
    flags: [
      { name: 'name', value: 'text', help: 'Organization name' },
      { name: 'type', value: 'type', help: "government | enterprise | individual | education | ngo" },
      { name: 'size', value: 'size', help: "'1-10' | '11-50' | '51-200' | '500+'" },
      { name: 'primary-use', value: 'use', help: "sales | support | 'market research'" },
      { name: 'plan', value: 'plan', help: `Optional, default trial: ${ORG_PLANS.join(' | ')}` },
      { name: 'owner-email', value: 'email', help: "The owner's email (signs in with it)" },
      { name: 'owner-password', value: 'password', help: 'At least 8 characters (visible to ps: prefer the next flag)' },
      { name: 'owner-password-stdin', help: 'Read the owner password from standard input' },
      { name: 'owner-name', value: 'text', help: "Optional: the owner's name" },
      { name: 'key-name', value: 'text', help: 'Optional: name of the first API key (default "default")' },
    ],
    async parse(flags, readStdin) {
      if (flags['owner-password'] !== undefined && flags['owner-password-stdin']) {
        throw new UsageError('Give --owner-password or --owner-password-stdin, not both');
      }
      const password = flags['owner-password-stdin'] ? await readStdin() : flags['owner-password'];
      const account = parseFlags(
        registerInput,
        {
          email: flags['owner-email'],
          password,
          name: flags['owner-name'],
          organization: { name: flags.name, type: flags.type, size: flags.size, primaryUse: flags['primary-use'] },
        },
        {
          email: 'owner-email',
          password: 'owner-password',
          name: 'owner-name',
          'organization.name': 'name',
          'organization.primaryUse': 'primary-use',
          'organization.type': 'type',
          'organization.size': 'size',
        },
      );
      const rest = parseFlags(
        z.object({ plan: plan.optional(), 'key-name': text(200).trim().min(1).default('default') }),
        { plan: flags.plan, 'key-name': flags['key-name'] },
      );
      return { account, plan: rest.plan, keyName: rest['key-name'] };
    },
    async run(deps, { account, plan: chosenPlan, keyName }) {
      const now = deps.clock.now();
      const { user, organization } = await createOrganizationWithOwner(
        deps.db,
        { ...account, organization: { ...account.organization, plan: chosenPlan } },
        now,
      );
      const input = { organizationId: organization.id, userId: user.id, name: keyName, expiresAt: null };
      const { apiKey, secret } = await createApiKey(deps.db, input, now, adminActor(organization.id));
      const { id, name, type, size, primaryUse, plan: orgPlan, status } = organization;
      return {
        text: [
          `Organization ${name} (${id}): ${type}, ${size}, ${primaryUse}, plan ${orgPlan}, ${status}`,
          `Owner ${user.email} (${user.id})`,
          `API key "${apiKey.name}" (${apiKey.id}), shown this once, store it now:`,
          secret,
        ].join('\n'),
        json: {
          organization: { id, name, type, size, primaryUse, plan: orgPlan, status },
          owner: { id: user.id, email: user.email, name: user.name },
          apiKey: { id: apiKey.id, name: apiKey.name, key: secret },
        },
      };
    },
  },

  'suspend-org': {
    summary: 'Suspend an organization: its users cannot sign in or refresh, its keys stop working',
    flags: [orgFlag],
    parse: async (flags) => parseFlags(z.object({ org: organizationId }), flags),
    run: (deps, { org }) => setOrganization(deps, org, { status: 'suspended' }),
  },

  'activate-org': {
    summary: 'Make an organization active again',
    flags: [orgFlag],
    parse: async (flags) => parseFlags(z.object({ org: organizationId }), flags),
    run: (deps, { org }) => setOrganization(deps, org, { status: 'active' }),
  },

  'set-plan': {
    summary: "Change an organization's plan",
    flags: [orgFlag, { name: 'plan', value: 'plan', help: ORG_PLANS.join(' | ') }],
    parse: async (flags) => parseFlags(z.object({ org: organizationId, plan }), flags),
    run: (deps, { org, plan: chosen }) => setOrganization(deps, org, { plan: chosen }),
  },

  'create-key': {
    summary: 'Create an API key acting as a user, and print it (shown once)',
    flags: [
      { name: 'email', value: 'email', help: 'The user the key acts as (its organization owns the key)' },
      { name: 'name', value: 'text', help: 'A name to tell keys apart' },
      { name: 'expires-at', value: 'iso-date', help: 'Optional expiry, ISO 8601 (e.g. 2030-01-01T00:00:00Z)' },
    ],
    parse: async (flags) =>
      parseFlags(
        z.object({ email, name: createApiKeyInput.shape.name, 'expires-at': createApiKeyInput.shape.expiresAt }),
        flags,
      ),
    async run(deps, { email: address, name, 'expires-at': expiresAt }) {
      const { user, organization } = await findUser(deps, address);
      const input = { organizationId: organization.id, userId: user.id, name, expiresAt: expiresAt ? new Date(expiresAt) : null };
      const { apiKey, secret } = await createApiKey(deps.db, input, deps.clock.now(), adminActor(organization.id));
      return {
        text: `API key "${apiKey.name}" (${apiKey.id}) of ${organization.name}, shown this once, store it now:\n${secret}`,
        json: { id: apiKey.id, name: apiKey.name, organizationId: organization.id, key: secret, expiresAt: apiKey.expiresAt },
      };
    },
  },

  'revoke-key': {
    summary: 'Revoke an API key at once',
    flags: [orgFlag, { name: 'key', value: 'id', help: 'API key id (not the secret)' }],
    parse: async (flags) => parseFlags(z.object({ org: organizationId, key: text(64).min(1) }), flags),
    async run(deps, { org, key }) {
      if (!(await findOrganizationById(deps.db, org))) throw new CommandError(`No organization with id ${org}`);
      await revokeApiKey(deps.db, org, key, deps.clock.now(), adminActor(org));
      return { text: `API key ${key} revoked`, json: { id: key, revoked: true } };
    },
  },

  'list-sessions': {
    summary: "List a user's active sessions, most recently used first",
    flags: [{ name: 'email', value: 'email', help: "The user's email" }],
    parse: async (flags) => parseFlags(z.object({ email }), flags),
    async run(deps, { email: address }) {
      const { user } = await findUser(deps, address);
      const sessions = (await listUserSessions(deps, user.id)).map((session) => ({
        id: session.id,
        lastAccessedAt: session.lastAccessedAt.toISOString(),
        createdAt: session.createdAt.toISOString(),
        ipAddress: session.ipAddress,
        userAgent: session.userAgent,
      }));
      const lines = sessions.map((s) => `${s.id}  last used ${s.lastAccessedAt}  from ${s.ipAddress ?? '?'}  ${s.userAgent ?? ''}`);
      return { text: [`${sessions.length} active session(s) of ${user.email}`, ...lines].join('\n'), json: { sessions } };
    },
  },

  cleanup: {
    summary: 'Delete sessions (and their refresh tokens) that ended longer ago than SESSION_RETENTION_SECONDS, old audit events and retired signing keys',
    flags: [],
    parse: async () => ({}),
    async run(deps) {
      const { sessionsPurged, auditEventsPurged, signingKeysPurged, ranHere } = await purgeEndedSessions(deps);
      const text = ranHere
        ? `Purged ${sessionsPurged} ended session(s), ${auditEventsPurged} audit event(s) past retention, ${signingKeysPurged} retired signing key(s)`
        : 'Another instance is running the cleanup right now; nothing done';
      return { text, json: { sessionsPurged, auditEventsPurged, signingKeysPurged, ranHere } };
    },
  },

  'rotate-signing-key': {
    summary: `Publish a new access-token signing key now; it signs ${ACTIVATION_DELAY_SECONDS / 60} minutes later, once caches have it`,
    flags: [],
    parse: async () => ({}),
    async run(deps) {
      if (!deps.signingKeys) {
        throw new CommandError('ACCESS_TOKEN_ALGORITHM is HS256: tokens are signed with JWT_SECRET and there is no signing key to rotate');
      }
      const outcome = await deps.signingKeys.rotate();
      const at = outcome.activatesAt.toISOString();
      const text = outcome.created
        ? `Published signing key ${outcome.kid} (${deps.signingKeys.algorithm}); it signs from ${at}` +
          (outcome.previousKid ? `, when ${outcome.previousKid} retires (it stays published until its last token has expired)` : '')
        : `A rotation is already under way: key ${outcome.kid} signs from ${at}; nothing done`;
      return { text, json: { ...outcome, activatesAt: at } };
    },
  },

  ...WEBHOOK_COMMANDS,
};
