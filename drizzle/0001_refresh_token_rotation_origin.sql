ALTER TABLE "refresh_tokens" ADD COLUMN "rotated_by_ip" text;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD COLUMN "rotated_by_user_agent" text;--> statement-breakpoint
CREATE INDEX "audit_events_created_idx" ON "audit_events" USING btree ("created_at");