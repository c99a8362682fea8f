import { z } from 'zod';
import { TOKEN_TYPE_HINTS } from '../../domain/introspection';
import { text } from '../common.schema';

/** The longest token looked at: far above any Gatehouse token, far below the body limit. */
export const INTROSPECTED_TOKEN_MAX_LENGTH = 8192;

export const introspectInput = z
  .object({
    token: text(INTROSPECTED_TOKEN_MAX_LENGTH).meta({
      description: 'An access token or a refresh token. Anything that is not a live token of your organization answers {active: false}.',
      example: 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9...',
    }),
    token_type_hint: text(64)
      .optional()
      .meta({
        description: `${TOKEN_TYPE_HINTS.join(' or ')}: which kind to look for first. Any other value is ignored (RFC 7662).`,
        example: 'access_token',
      }),
  })
  .meta({ id: 'IntrospectRequest' });

const inactive = z
  .object({ active: z.literal(false) })
  .meta({ id: 'InactiveToken', description: 'Unknown, malformed, ended, expired, or not of your organization: nothing more is said.' });

const activeAccessToken = z
  .object({
    active: z.literal(true),
    token_type: z.literal('access_token'),
    sub: z.string().meta({ description: 'User id' }),
    sid: z.string().meta({ description: 'Session id' }),
    org: z.string().meta({ description: 'Organization id' }),
    exp: z.number().int().meta({ description: 'Expiry, seconds since the epoch' }),
    iat: z.number().int().meta({ description: 'Issued at, seconds since the epoch' }),
    iss: z.string(),
    aud: z.string(),
    jti: z.string(),
  })
  .meta({ id: 'ActiveAccessToken' });

const activeRefreshToken = z
  .object({
    active: z.literal(true),
    token_type: z.literal('refresh_token'),
    sub: z.string().meta({ description: 'User id' }),
    sid: z.string().meta({ description: 'Session id' }),
    org: z.string().meta({ description: 'Organization id' }),
  })
  .meta({ id: 'ActiveRefreshToken' });

export const introspectResponse = z
  .union([inactive, activeAccessToken, activeRefreshToken])
  .meta({ id: 'IntrospectResponse' });
