CREATE TYPE "gateway"."outbox_status" AS ENUM('PENDING', 'DELIVERED', 'EXHAUSTED');--> statement-breakpoint
CREATE TYPE "gateway"."payment_status" AS ENUM('PENDING', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "gateway"."refund_status" AS ENUM('PENDING', 'SUCCEEDED', 'FAILED');--> statement-breakpoint
CREATE TABLE "gateway"."outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" "gateway"."outbox_status" DEFAULT 'PENDING' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "gateway"."payments" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_digest" text NOT NULL,
	"merchant_order_no" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"channel" text NOT NULL,
	"status" "gateway"."payment_status" NOT NULL,
	"order_id" text,
	"channel_payment_id" text,
	"failure_code" text,
	"failure_message" text,
	"risk_score" integer DEFAULT 0 NOT NULL,
	"refunded_amount" bigint DEFAULT 0 NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payments_amount_positive" CHECK ("gateway"."payments"."amount" > 0),
	CONSTRAINT "payments_refunded_within_amount" CHECK ("gateway"."payments"."refunded_amount" >= 0 and "gateway"."payments"."refunded_amount" <= "gateway"."payments"."amount"),
	CONSTRAINT "payments_failure_code_iff_failed" CHECK (("gateway"."payments"."status" = 'FAILED') = ("gateway"."payments"."failure_code" is not null))
);
--> statement-breakpoint
CREATE TABLE "gateway"."refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_digest" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" "gateway"."refund_status" NOT NULL,
	"channel_refund_id" text,
	"reason" text DEFAULT '' NOT NULL,
	"failure_code" text,
	"failure_message" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "refunds_amount_positive" CHECK ("gateway"."refunds"."amount" > 0),
	CONSTRAINT "refunds_failure_code_iff_failed" CHECK (("gateway"."refunds"."status" = 'FAILED') = ("gateway"."refunds"."failure_code" is not null))
);
--> statement-breakpoint
ALTER TABLE "gateway"."refunds" ADD CONSTRAINT "refunds_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "gateway"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "outbox_due_idx" ON "gateway"."outbox" USING btree ("next_attempt_at","id") WHERE "gateway"."outbox"."status" = 'PENDING';--> statement-breakpoint
CREATE INDEX "outbox_subject_idx" ON "gateway"."outbox" USING btree ("subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_idempotency_key" ON "gateway"."payments" USING btree ("merchant_id","idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_merchant_order_no" ON "gateway"."payments" USING btree ("merchant_id","merchant_order_no");--> statement-breakpoint
CREATE INDEX "payments_merchant_id_idx" ON "gateway"."payments" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE INDEX "payments_unfinished_idx" ON "gateway"."payments" USING btree ("status","updated_at") WHERE "gateway"."payments"."status" in ('PENDING', 'PROCESSING');--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_idempotency_key" ON "gateway"."refunds" USING btree ("merchant_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "refunds_payment_id_idx" ON "gateway"."refunds" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "refunds_merchant_id_idx" ON "gateway"."refunds" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE INDEX "refunds_pending_idx" ON "gateway"."refunds" USING btree ("updated_at") WHERE "gateway"."refunds"."status" = 'PENDING';