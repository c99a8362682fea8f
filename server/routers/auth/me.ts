import { userProcedure } from '../../trpc/init';
import { meResponse } from './auth.schema';

export const me = userProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/me',
      tags: ['auth'],
      summary: 'The calling user and their organization',
      description:
        'Who the credential acts as (for an API key: the user who created it), with the organization, its plan ' +
        'and status. A handy first call to check that a key or token works.',
    },
  })
  .output(meResponse)
  .query(({ ctx }) => {
    const { user, organization } = ctx.caller;
    return {
      user: { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt.toISOString() },
      organization: {
        id: organization.id,
        name: organization.name,
        type: organization.type,
        plan: organization.plan,
        size: organization.size,
        primaryUse: organization.primaryUse,
        status: organization.status,
        createdAt: organization.createdAt.toISOString(),
      },
    };
  });
