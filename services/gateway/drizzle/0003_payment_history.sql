CREATE TYPE "gateway"."transition_subject" AS ENUM('payment', 'refund');--> statement-breakpoint
CREATE TABLE "gateway"."status_transitions" (
	"sequence" bigserial PRIMARY KEY NOT NULL,
	"subject" "gateway"."transition_subject" NOT NULL,
	"subject_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"reason" text NOT NULL,
	"actor" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "gateway"."status_transitions" ADD CONSTRAINT "status_transitions_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "gateway"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "status_transitions_payment_idx" ON "gateway"."status_transitions" USING btree ("payment_id","sequence");--> statement-breakpoint
-- The history is append-only: the database itself refuses to change or remove a row.
CREATE FUNCTION "gateway"."refuse_history_rewrite"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'gateway.status_transitions is append-only';
END;
$$;--> statement-breakpoint
CREATE TRIGGER "status_transitions_append_only" BEFORE UPDATE OR DELETE ON "gateway"."status_transitions" FOR EACH ROW EXECUTE FUNCTION "gateway"."refuse_history_rewrite"();--> statement-breakpoint
-- Payments and refunds made before history was kept start theirs at their current status.
INSERT INTO "gateway"."status_transitions" ("subject", "subject_id", "payment_id", "from_status", "to_status", "reason", "actor", "occurred_at")
SELECT 'payment', "id", "id", NULL, "status"::text, 'recorded before history was kept', 'migration', "updated_at" FROM "gateway"."payments" ORDER BY "created_at", "id";--> statement-breakpoint
INSERT INTO "gateway"."status_transitions" ("subject", "subject_id", "payment_id", "from_status", "to_status", "reason", "actor", "occurred_at")
SELECT 'refund', "id", "payment_id", NULL, "status"::text, 'recorded before history was kept', 'migration', "updated_at" FROM "gateway"."refunds" ORDER BY "created_at", "id";
