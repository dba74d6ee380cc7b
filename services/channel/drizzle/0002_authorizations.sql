CREATE TYPE "channel"."authorization_status" AS ENUM('PENDING', 'AUTHORIZED', 'FAILED', 'CAPTURING', 'CAPTURED', 'VOIDING', 'VOIDED', 'EXPIRED');--> statement-breakpoint
CREATE TABLE "channel"."authorizations" (
	"id" text PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"merchant_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"payment_method" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"status" "channel"."authorization_status" NOT NULL,
	"capture_amount" bigint,
	"provider_reference" text,
	"failure_code" text,
	"failure_message" text,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "authorizations_amount_positive" CHECK ("channel"."authorizations"."amount" > 0),
	CONSTRAINT "authorizations_capture_within_amount" CHECK ("channel"."authorizations"."capture_amount" is null or ("channel"."authorizations"."capture_amount" > 0 and "channel"."authorizations"."capture_amount" <= "channel"."authorizations"."amount")),
	CONSTRAINT "authorizations_capture_amount_when_captured" CHECK ("channel"."authorizations"."status" not in ('CAPTURING', 'CAPTURED') or "channel"."authorizations"."capture_amount" is not null),
	CONSTRAINT "authorizations_expiry_once_authorized" CHECK ("channel"."authorizations"."status" in ('PENDING', 'FAILED') or "channel"."authorizations"."expires_at" is not null),
	CONSTRAINT "authorizations_failure_code_iff_failed" CHECK (("channel"."authorizations"."status" = 'FAILED') = ("channel"."authorizations"."failure_code" is not null))
);
--> statement-breakpoint
CREATE TABLE "channel"."sandbox_authorizations" (
	"id" text PRIMARY KEY NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"outcome" "channel"."sandbox_outcome" NOT NULL,
	"failure_code" text,
	"failure_message" text,
	"declines_capture" boolean NOT NULL,
	"holds_capture_answer" boolean NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"capture_amount" bigint,
	"capture_outcome" "channel"."sandbox_outcome",
	"capture_failure_code" text,
	"capture_failure_message" text,
	"captured_at" timestamp with time zone,
	"voided_at" timestamp with time zone,
	CONSTRAINT "sandbox_authorizations_amount_positive" CHECK ("channel"."sandbox_authorizations"."amount" > 0),
	CONSTRAINT "sandbox_authorizations_failure_code_iff_failed" CHECK (("channel"."sandbox_authorizations"."outcome" = 'FAILED') = ("channel"."sandbox_authorizations"."failure_code" is not null)),
	CONSTRAINT "sandbox_authorizations_capture_or_void" CHECK ("channel"."sandbox_authorizations"."capture_outcome" is null or "channel"."sandbox_authorizations"."voided_at" is null)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "authorizations_channel_idempotency_key" ON "channel"."authorizations" USING btree ("channel","idempotency_key");