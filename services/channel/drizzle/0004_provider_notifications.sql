ALTER TYPE "channel"."sandbox_outcome" ADD VALUE 'PENDING';--> statement-breakpoint
CREATE TABLE "channel"."provider_notifications" (
	"channel" text NOT NULL,
	"event_id" text NOT NULL,
	"kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"status" "channel"."provider_status" NOT NULL,
	"applied" boolean NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "provider_notifications_channel_event_id_pk" PRIMARY KEY("channel","event_id"),
	CONSTRAINT "provider_notifications_kind" CHECK ("channel"."provider_notifications"."kind" in ('charge', 'refund'))
);
--> statement-breakpoint
CREATE TABLE "channel"."sandbox_notifications" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"outcome" "channel"."sandbox_outcome" NOT NULL,
	"failure_code" text,
	"failure_message" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sandbox_notifications_kind" CHECK ("channel"."sandbox_notifications"."kind" in ('charge', 'refund')),
	CONSTRAINT "sandbox_notifications_decided" CHECK ("channel"."sandbox_notifications"."outcome" in ('SUCCEEDED', 'FAILED')),
	CONSTRAINT "sandbox_notifications_failure_code_iff_failed" CHECK (("channel"."sandbox_notifications"."outcome" = 'FAILED') = ("channel"."sandbox_notifications"."failure_code" is not null))
);
--> statement-breakpoint
CREATE INDEX "sandbox_notifications_due_idx" ON "channel"."sandbox_notifications" USING btree ("next_attempt_at") WHERE "channel"."sandbox_notifications"."acknowledged_at" is null;