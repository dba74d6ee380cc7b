CREATE SCHEMA "fixture";
--> statement-breakpoint
CREATE TABLE "fixture"."widgets" (
	"id" text PRIMARY KEY NOT NULL,
	"amount" bigint DEFAULT 0 NOT NULL,
	"currency" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "widgets_created_at_idx" ON "fixture"."widgets" USING btree ("created_at");