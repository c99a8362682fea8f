import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import type { Clock } from '../clock';
import type { Database } from '../db/client';
import {
  insertSigningKey,
  listSigningKeys,
  lockSigningKeys,
  retireSigningKeyAt,
  type SigningKeyRow,
} from '../db/queries/signing-keys';
import { seal, sealingKeyFrom, unseal } from './sealed';

export type AsymmetricAlgorithm = 'ES256' | 'EdDSA';

/** What `GET /.well-known/jwks.json` allows caches to keep it (Cache-Control max-age). */
export const JWKS_MAX_AGE_SECONDS = 300;
/**
 * A new key is published this long before anything is signed with it: twice the JWKS cache
 * lifetime, so that every cache that honours max-age holds it before it meets a token.
 */
export const ACTIVATION_DELAY_SECONDS = 2 * JWKS_MAX_AGE_SECONDS;
/** Verifiers' clocks may run behind ours: a retired key stays published this much longer. */
export const CLOCK_SKEW_SECONDS = 60;
/** How stale this process's copy of the key table may get (a rotation elsewhere is seen within it). */
const RELOAD_INTERVAL_MS = 10_000;
/** An unknown kid reloads the table at most this often: a flood of made-up kids costs one query a second. */
const UNKNOWN_KID_RELOAD_MS = 1_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The key that encrypts private signing keys at rest: its own derivation of the server secret. */
export function signingKeySealingKeyFrom(serverSecret: string): Buffer {
  return sealingKeyFrom(serverSecret, 'signing-key-encryption');
}

export interface PublishedKey {
  kty: string;
  crv: string;
  x: string;
  y?: string;
  kid: string;
  alg: AsymmetricAlgorithm;
  use: 'sig';
}

export interface SigningKeyStoreOptions {
  db: Database;
  clock: Clock;
  /** The algorithm this instance signs with. */
  algorithm: AsymmetricAlgorithm;
  sealingKey: Buffer;
  rotationDays: number;
  accessTokenTtlSeconds: number;
}

export type RotationOutcome =
  | { created: true; kid: string; activatesAt: Date; previousKid: string | null }
  | { created: false; kid: string; activatesAt: Date };

interface LoadedKey {
  row: SigningKeyRow;
  /** SPKI PEM, what fast-jwt verifies with (server/domain/tokens.ts). */
  publicKeyPem: string;
  /** PKCS#8 PEM, unsealed on first use, kept in memory only. */
  privateKeyPem?: string;
}

/**
 * Signing keys as this process sees them: a copy of the `signing_keys` table, reloaded every
 * few seconds (and at once on an unknown kid), from which it picks the key to sign with and
 * the keys to publish. Key creation (the first key, scheduled rotation) happens under an
 * advisory lock, so any number of instances agree on one key.
 *
 * A key's life: created and published at `createdAt`; signs from `activatesAt` (which is
 * ACTIVATION_DELAY_SECONDS later when it succeeds another key) until `retiresAt`; published
 * and accepted until its last token has expired, `retiresAt` + token lifetime + clock skew.
 */
export function createSigningKeyStore(options: SigningKeyStoreOptions) {
  const { db, clock, algorithm, sealingKey } = options;
  const rotationMs = options.rotationDays * DAY_MS;
  // The successor is created this long before the current key retires; at least the
  // activation delay, so that it is published in time.
  const rotationLeadMs = Math.max(Math.min(DAY_MS, rotationMs / 2), 2 * ACTIVATION_DELAY_SECONDS * 1000);
  const acceptedAfterRetirementMs = (options.accessTokenTtlSeconds + CLOCK_SKEW_SECONDS) * 1000;

  let keys = new Map<string, LoadedKey>();
  let loadedAt = Number.NEGATIVE_INFINITY;
  let loading: Promise<void> | null = null;

  const publishedAt = (row: SigningKeyRow, now: number) => now < row.retiresAt.getTime() + acceptedAfterRetirementMs;

  function signingKeyAt(now: number): LoadedKey | undefined {
    let best: LoadedKey | undefined;
    for (const key of keys.values()) {
      const { row } = key;
      if (row.algorithm !== algorithm || row.activatesAt.getTime() > now || row.retiresAt.getTime() <= now) continue;
      if (!best || row.activatesAt > best.row.activatesAt) best = key;
    }
    return best;
  }

  /** What the table needs now for this algorithm: a key to sign with, and a successor in time. */
  function keyWorkDue(rows: Iterable<SigningKeyRow>, now: number): 'first' | 'successor' | null {
    let live = false;
    let newest: SigningKeyRow | undefined;
    for (const row of rows) {
      if (row.algorithm !== algorithm) continue;
      if (row.activatesAt.getTime() <= now && now < row.retiresAt.getTime()) live = true;
      if (!newest || row.activatesAt > newest.activatesAt) newest = row;
    }
    if (!live) return 'first';
    if (newest && newest.retiresAt.getTime() - now <= rotationLeadMs) return 'successor';
    return null;
  }

  function adopt(rows: SigningKeyRow[], now: number) {
    const next = new Map<string, LoadedKey>();
    for (const row of rows) {
      if (!publishedAt(row, now)) continue;
      const known = keys.get(row.id);
      // Rows change only in retiresAt; the imported keys are kept.
      next.set(row.id, known ? { ...known, row } : { row, publicKeyPem: publicKeyPemOf(row.publicJwk as JWK) });
    }
    keys = next;
    loadedAt = now;
  }

  async function load(): Promise<void> {
    const now = clock.now().getTime();
    const rows = await listSigningKeys(db, { retiredAfter: new Date(now - acceptedAfterRetirementMs) });
    adopt(rows, now);
    if (keyWorkDue(rows, now) === null) return;
    try {
      await db.transaction(async (tx) => {
        await lockSigningKeys(tx);
        await createDueKeys(tx, now);
      });
    } catch (error) {
      // A successor can wait for the next reload; only having nothing to sign with is fatal.
      if (!signingKeyAt(now)) throw error;
      return;
    }
    adopt(await listSigningKeys(db, { retiredAfter: new Date(now - acceptedAfterRetirementMs) }), now);
  }

  /** Under the lock, with the table read again: another instance may have done it already. */
  async function createDueKeys(tx: Database, now: number): Promise<void> {
    const rows = await listSigningKeys(tx, { retiredAfter: new Date(now) });
    const due = keyWorkDue(rows, now);
    if (due === 'first') {
      await insertSigningKey(tx, await newKeyRow({ createdAt: now, activatesAt: now }));
    } else if (due === 'successor') {
      const newest = rows.filter((row) => row.algorithm === algorithm).at(-1)!;
      const activatesAt = Math.max(newest.retiresAt.getTime(), now + ACTIVATION_DELAY_SECONDS * 1000);
      await insertSigningKey(tx, await newKeyRow({ createdAt: now, activatesAt }));
      await retireSigningKeyAt(tx, newest.id, new Date(activatesAt));
    }
  }

  async function newKeyRow({ createdAt, activatesAt }: { createdAt: number; activatesAt: number }): Promise<SigningKeyRow> {
    const { publicKey, privateKey } = await generateKeyPair(algorithm, { extractable: true });
    const { kty, crv, x, y } = await exportJWK(publicKey);
    const publicJwk: Record<string, string> = { kty: kty!, crv: crv!, x: x! };
    if (y) publicJwk.y = y;
    const id = await calculateJwkThumbprint(publicJwk as JWK);
    return {
      id,
      algorithm,
      publicJwk,
      privateKeyCiphertext: seal(sealingKey, id, Buffer.from(await exportPKCS8(privateKey), 'utf8')),
      createdAt: new Date(createdAt),
      activatesAt: new Date(activatesAt),
      retiresAt: new Date(activatesAt + rotationMs),
    };
  }

  /** Reloads when the copy is older than `maxAgeMs`; concurrent callers share one reload. */
  async function fresh(maxAgeMs: number): Promise<void> {
    if (clock.now().getTime() - loadedAt < maxAgeMs) return;
    if (!loading) {
      loading = load().finally(() => {
        loading = null;
      });
    }
    try {
      await loading;
    } catch (error) {
      // A database that cannot be read does not stop what the copy can still do.
      if (keys.size === 0) throw error;
    }
  }

  return {
    algorithm,

    /** The key to sign with now; creates the first key if the table has none. */
    async signingKey(): Promise<{ kid: string; algorithm: AsymmetricAlgorithm; privateKeyPem: string }> {
      await fresh(RELOAD_INTERVAL_MS);
      let key = signingKeyAt(clock.now().getTime());
      if (!key) {
        // Activation times are exact: a key can become due between reloads.
        await fresh(0);
        key = signingKeyAt(clock.now().getTime());
        if (!key) throw new Error('no signing key is active');
      }
      key.privateKeyPem ??= unseal(sealingKey, key.row.id, key.row.privateKeyCiphertext).toString('utf8');
      return { kid: key.row.id, algorithm: key.row.algorithm as AsymmetricAlgorithm, privateKeyPem: key.privateKeyPem };
    },

    /** The public key for a kid this service published and still accepts, or null. */
    async verificationKey(kid: string): Promise<{ algorithm: AsymmetricAlgorithm; publicKeyPem: string } | null> {
      await fresh(RELOAD_INTERVAL_MS);
      let key = keys.get(kid);
      if (!key) {
        await fresh(UNKNOWN_KID_RELOAD_MS);
        key = keys.get(kid);
      }
      if (!key || !publishedAt(key.row, clock.now().getTime())) return null;
      return { algorithm: key.row.algorithm as AsymmetricAlgorithm, publicKeyPem: key.publicKeyPem };
    },

    /** The JWKS: every key that may have signed a live token, and the next one. */
    async published(): Promise<PublishedKey[]> {
      await fresh(RELOAD_INTERVAL_MS);
      const now = clock.now().getTime();
      return [...keys.values()]
        .filter(({ row }) => publishedAt(row, now))
        .map(({ row }) => ({ ...(row.publicJwk as Omit<PublishedKey, 'kid' | 'alg' | 'use'>), kid: row.id, alg: row.algorithm as AsymmetricAlgorithm, use: 'sig' as const }));
    },

    /** Start-up: makes sure a key exists (and a successor, when one is due) before serving. */
    async ready(): Promise<void> {
      await fresh(0);
    },

    /**
     * `admin rotate-signing-key`: publishes a new key now; it signs once ACTIVATION_DELAY_SECONDS
     * have passed, and the current key retires then. A rotation already under way is reported,
     * not doubled.
     */
    async rotate(): Promise<RotationOutcome> {
      const outcome = await db.transaction(async (tx): Promise<RotationOutcome> => {
        await lockSigningKeys(tx);
        const now = clock.now().getTime();
        const mine = (await listSigningKeys(tx, { retiredAfter: new Date(now) })).filter((row) => row.algorithm === algorithm);
        const pending = mine.find((row) => row.activatesAt.getTime() > now);
        if (pending) return { created: false, kid: pending.id, activatesAt: pending.activatesAt };
        const current = mine.filter((row) => row.activatesAt.getTime() <= now).at(-1);
        const activatesAt = current ? now + ACTIVATION_DELAY_SECONDS * 1000 : now;
        const row = await newKeyRow({ createdAt: now, activatesAt });
        await insertSigningKey(tx, row);
        if (current) await retireSigningKeyAt(tx, current.id, row.activatesAt);
        return { created: true, kid: row.id, activatesAt: row.activatesAt, previousKid: current?.id ?? null };
      });
      await fresh(0);
      return outcome;
    },
  };

}

function publicKeyPemOf(jwk: JWK): string {
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
}

export type SigningKeyStore = ReturnType<typeof createSigningKeyStore>;
