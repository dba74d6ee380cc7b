CREATE TYPE "channel"."provider_status" AS ENUM('PENDING', 'SUCCEEDED', 'FAILED');--> statement-breakpoint
CREATE TYPE "channel"."sandbox_outcome" AS ENUM('SUCCEEDED', 'FAILED');--> statement-breakpoint
CREATE TABLE "channel"."charges" (
	"id" text PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"merchant_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"payment_method" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"status" "channel"."provider_status" NOT NULL,
	"refunded_amount" bigint DEFAULT 0 NOT NULL,
	"refunding_amount" bigint DEFAULT 0 NOT NULL,
	"provider_reference" text,
	"failure_code" text,
	"failure_message" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "charges_amount_positive" CHECK ("channel"."charges"."amount" > 0),
	CONSTRAINT "charges_refunds_within_amount" CHECK ("channel"."charges"."refunded_amount" >= 0 and "channel"."charges"."refunding_amount" >= 0 and "channel"."charges"."refunded_amount" + "channel"."charges"."refunding_amount" <= "channel"."charges"."amount"),
	CONSTRAINT "charges_refunds_only_when_succeeded" CHECK ("channel"."charges"."status" = 'SUCCEEDED' or "channel"."charges"."refunded_amount" + "channel"."charges"."refunding_amount" = 0),
	CONSTRAINT "charges_failure_code_iff_failed" CHECK (("channel"."charges"."status" = 'FAILED') = ("channel"."charges"."failure_code" is not null))
);
--> statement-breakpoint
CREATE TABLE "channel"."refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"charge_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"status" "channel"."provider_status" NOT NULL,
	"provider_reference" text,
	"failure_code" text,
	"failure_message" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "refunds_amount_positive" CHECK ("channel"."refunds"."amount" > 0),
	CONSTRAINT "refunds_failure_code_iff_failed" CHECK (("channel"."refunds"."status" = 'FAILED') = ("channel"."refunds"."failure_code" is not null))
);
--> statement-breakpoint
CREATE TABLE "channel"."sandbox_charges" (
	"id" text PRIMARY KEY NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"outcome" "channel"."sandbox_outcome" NOT NULL,
	"failure_code" text,
	"failure_message" text,
	"declines_refunds" boolean NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sandbox_charges_amount_positive" CHECK ("channel"."sandbox_charges"."amount" > 0),
	CONSTRAINT "sandbox_charges_failure_code_iff_failed" CHECK (("channel"."sandbox_charges"."outcome" = 'FAILED') = ("channel"."sandbox_charges"."failure_code" is not null))
);
--> statement-breakpoint
CREATE TABLE "channel"."sandbox_refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"charge_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"outcome" "channel"."sandbox_outcome" NOT NULL,
	"failure_code" text,
	"failure_message" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sandbox_refunds_amount_positive" CHECK ("channel"."sandbox_refunds"."amount" > 0),
	CONSTRAINT "sandbox_refunds_failure_code_iff_failed" CHECK (("channel"."sandbox_refunds"."outcome" = 'FAILED') = ("channel"."sandbox_refunds"."failure_code" is not null))
);
--> statement-breakpoint
ALTER TABLE "channel"."refunds" ADD CONSTRAINT "refunds_charge_id_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "channel"."charges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel"."sandbox_refunds" ADD CONSTRAINT "sandbox_refunds_charge_id_sandbox_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "channel"."sandbox_charges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "charges_channel_idempotency_key" ON "channel"."charges" USING btree ("channel","idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_channel_idempotency_key" ON "channel"."refunds" USING btree ("channel","idempotency_key");--> statement-breakpoint
CREATE INDEX "refunds_charge_id_idx" ON "channel"."refunds" USING btree ("charge_id");--> statement-breakpoint
CREATE INDEX "sandbox_refunds_charge_id_idx" ON "channel"."sandbox_refunds" USING btree ("charge_id");