import { z } from 'zod';

/**
 * In Unicode mode a surrogate pair is one code point, so this matches only a lone surrogate:
 * valid JSON (`"\ud800"`) but no Unicode text, which PostgreSQL's json refuses.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Text that PostgreSQL can store: a NUL byte or a lone surrogate is invalid input (400),
 * never a database error. Every string input is one of these (or an enum, uuid or date-time).
 */
export const text = (maxLength: number) =>
  z
    .string()
    .max(maxLength)
    .refine((value) => !value.includes('\u0000'), { message: 'must not contain NUL bytes' })
    .refine((value) => !LONE_SURROGATE.test(value), { message: 'must be well-formed Unicode text (no lone surrogate)' });

export const isoDateTime = z.iso.datetime().meta({ example: '2025-01-15T10:30:00.000Z' });

export const messageResponse = z
  .object({ message: z.string() })
  .meta({ id: 'MessageResponse' });

export const authResponse = z
  .object({
    access_token: z.string().meta({
      description: 'JWT (HS256), valid for 15 minutes by default',
      example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...',
    }),
    refresh_token: z.string().meta({
      description: 'Opaque, single use: every refresh returns a new one',
      example: 'bmV3IHJlZnJlc2ggdG9rZW4...',
    }),
  })
  .meta({ id: 'AuthResponse' });

/**
 * The signed-in user's password, typed again for a sensitive action when the session is not
 * fresh (see /auth/reauthenticate). A wrong one counts as a failed sign-in.
 */
export const currentPassword = text(1024)
  .min(1)
  .meta({ description: 'Needed unless the session signed in or reauthenticated within REAUTH_MAX_AGE_SECONDS' });
