CREATE TABLE "signing_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"algorithm" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_key_ciphertext" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"activates_at" timestamp with time zone NOT NULL,
	"retires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "signing_keys_algorithm_check" CHECK ("signing_keys"."algorithm" in ('ES256', 'EdDSA')),
	CONSTRAINT "signing_keys_window_check" CHECK ("signing_keys"."created_at" <= "signing_keys"."activates_at" and "signing_keys"."activates_at" < "signing_keys"."retires_at")
);
--> statement-breakpoint
CREATE INDEX "signing_keys_retires_at_idx" ON "signing_keys" USING btree ("retires_at");