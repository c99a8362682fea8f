import { z } from 'zod';

/** Text that PostgreSQL can store: a NUL byte is invalid input (400), never a database error. */
export const text = (maxLength: number) =>
  z
    .string()
    .max(maxLength)
    .refine((value) => !value.includes('\u0000'), { message: 'must not contain NUL bytes' });

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
