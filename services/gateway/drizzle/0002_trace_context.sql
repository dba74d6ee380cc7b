ALTER TABLE "gateway"."outbox" ADD COLUMN "traceparent" text;--> statement-breakpoint
ALTER TABLE "gateway"."payments" ADD COLUMN "traceparent" text;--> statement-breakpoint
ALTER TABLE "gateway"."refunds" ADD COLUMN "traceparent" text;