CREATE TYPE "gateway"."capture_method" AS ENUM('AUTOMATIC', 'MANUAL');--> statement-breakpoint
ALTER TYPE "gateway"."payment_status" ADD VALUE 'REQUIRES_CAPTURE';--> statement-breakpoint
ALTER TYPE "gateway"."payment_status" ADD VALUE 'CAPTURING';--> statement-breakpoint
ALTER TYPE "gateway"."payment_status" ADD VALUE 'CANCELLING';--> statement-breakpoint
ALTER TABLE "gateway"."payments" ADD COLUMN "capture_method" "gateway"."capture_method" DEFAULT 'AUTOMATIC' NOT NULL;--> statement-breakpoint
ALTER TABLE "gateway"."payments" ADD COLUMN "capture_amount" bigint;--> statement-breakpoint
ALTER TABLE "gateway"."payments" ADD COLUMN "capture_idempotency_key" text;--> statement-breakpoint
ALTER TABLE "gateway"."payments" ADD COLUMN "captured_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "gateway"."payments" ADD COLUMN "cancelled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "gateway"."payments" ADD COLUMN "cancellation_reason" text;--> statement-breakpoint
ALTER TABLE "gateway"."payments" ADD CONSTRAINT "payments_capture_within_amount" CHECK ("gateway"."payments"."capture_amount" is null or ("gateway"."payments"."capture_amount" > 0 and "gateway"."payments"."capture_amount" <= "gateway"."payments"."amount"));