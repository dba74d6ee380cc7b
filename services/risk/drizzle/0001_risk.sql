CREATE TYPE "risk"."blocklist_entry_type" AS ENUM('EMAIL', 'IP', 'DEVICE_ID', 'PAYMENT_METHOD');--> statement-breakpoint
CREATE TYPE "risk"."risk_decision" AS ENUM('APPROVE', 'REVIEW', 'REJECT');--> statement-breakpoint
CREATE TABLE "risk"."blocklist_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"type" "risk"."blocklist_entry_type" NOT NULL,
	"value" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"removed_at" timestamp with time zone,
	CONSTRAINT "blocklist_entries_value_length" CHECK (char_length("risk"."blocklist_entries"."value") between 1 and 255),
	CONSTRAINT "blocklist_entries_expires_after_creation" CHECK ("risk"."blocklist_entries"."expires_at" is null or "risk"."blocklist_entries"."expires_at" > "risk"."blocklist_entries"."created_at"),
	CONSTRAINT "blocklist_entries_removed_after_creation" CHECK ("risk"."blocklist_entries"."removed_at" is null or "risk"."blocklist_entries"."removed_at" >= "risk"."blocklist_entries"."created_at")
);
--> statement-breakpoint
CREATE TABLE "risk"."decisions" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"payment_id" text,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"customer_email" text,
	"customer_ip" text,
	"customer_device_id" text,
	"payment_method" text,
	"score" integer NOT NULL,
	"decision" "risk"."risk_decision" NOT NULL,
	"reasons" text[] NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "decisions_amount_positive" CHECK ("risk"."decisions"."amount" > 0),
	CONSTRAINT "decisions_score_range" CHECK ("risk"."decisions"."score" between 0 and 100)
);
--> statement-breakpoint
CREATE INDEX "blocklist_entries_match_idx" ON "risk"."blocklist_entries" USING btree ("type","value") WHERE "risk"."blocklist_entries"."removed_at" is null;--> statement-breakpoint
CREATE INDEX "blocklist_entries_type_idx" ON "risk"."blocklist_entries" USING btree ("type","id");--> statement-breakpoint
CREATE INDEX "decisions_merchant_id_idx" ON "risk"."decisions" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE INDEX "decisions_payment_id_idx" ON "risk"."decisions" USING btree ("payment_id") WHERE "risk"."decisions"."payment_id" is not null;