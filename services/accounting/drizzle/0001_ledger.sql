CREATE TYPE "accounting"."entry_kind" AS ENUM('PAYMENT', 'REFUND', 'FEE', 'PAYOUT', 'CORRECTION');--> statement-breakpoint
CREATE TYPE "accounting"."settlement_status" AS ENUM('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED');--> statement-breakpoint
CREATE TABLE "accounting"."entries" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"kind" "accounting"."entry_kind" NOT NULL,
	"reference_id" text NOT NULL,
	"payment_id" text,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"corrects_entry_id" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "entries_amount_positive" CHECK ("accounting"."entries"."amount" > 0),
	CONSTRAINT "entries_currency_code" CHECK ("accounting"."entries"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "entries_correction_references_entry" CHECK (("accounting"."entries"."kind" = 'CORRECTION') = ("accounting"."entries"."corrects_entry_id" is not null)),
	CONSTRAINT "entries_payment_id_by_kind" CHECK (case "accounting"."entries"."kind"
        when 'PAYMENT' then "accounting"."entries"."payment_id" is not null and "accounting"."entries"."payment_id" = "accounting"."entries"."reference_id"
        when 'REFUND' then "accounting"."entries"."payment_id" is not null
        else "accounting"."entries"."payment_id" is null end)
);
--> statement-breakpoint
CREATE TABLE "accounting"."postings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"entry_id" text NOT NULL,
	"account" text NOT NULL,
	"currency" text NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "postings_amount_nonzero" CHECK ("accounting"."postings"."amount" <> 0),
	CONSTRAINT "postings_currency_code" CHECK ("accounting"."postings"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "postings_account_name" CHECK ("accounting"."postings"."account" ~ '^(merchant:mer_[0-9A-HJKMNP-TV-Z]{26}|platform:(clearing|fee_revenue|payouts))$')
);
--> statement-breakpoint
CREATE TABLE "accounting"."settlement_candidates" (
	"settlement_id" text NOT NULL,
	"entry_id" text NOT NULL,
	CONSTRAINT "settlement_candidates_settlement_id_entry_id_pk" PRIMARY KEY("settlement_id","entry_id")
);
--> statement-breakpoint
CREATE TABLE "accounting"."settlement_entries" (
	"entry_id" text PRIMARY KEY NOT NULL,
	"settlement_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "accounting"."settlements" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"currency" text NOT NULL,
	"status" "accounting"."settlement_status" NOT NULL,
	"up_to" timestamp with time zone NOT NULL,
	"payment_amount" bigint DEFAULT 0 NOT NULL,
	"refund_amount" bigint DEFAULT 0 NOT NULL,
	"gross_amount" bigint DEFAULT 0 NOT NULL,
	"fee_amount" bigint DEFAULT 0 NOT NULL,
	"net_amount" bigint DEFAULT 0 NOT NULL,
	"payout_amount" bigint DEFAULT 0 NOT NULL,
	"payment_count" integer DEFAULT 0 NOT NULL,
	"refund_count" integer DEFAULT 0 NOT NULL,
	"fee_basis_points" integer NOT NULL,
	"fee_fixed_amount" bigint NOT NULL,
	"fee_entry_id" text,
	"payout_entry_id" text,
	"failure_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"settled_at" timestamp with time zone,
	CONSTRAINT "settlements_currency_code" CHECK ("accounting"."settlements"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "settlements_amounts_not_negative" CHECK ("accounting"."settlements"."payment_amount" >= 0 and "accounting"."settlements"."refund_amount" >= 0 and "accounting"."settlements"."fee_amount" >= 0 and "accounting"."settlements"."payout_amount" >= 0 and "accounting"."settlements"."payment_count" >= 0 and "accounting"."settlements"."refund_count" >= 0 and "accounting"."settlements"."fee_fixed_amount" >= 0),
	CONSTRAINT "settlements_gross_is_payments_less_refunds" CHECK ("accounting"."settlements"."gross_amount" = "accounting"."settlements"."payment_amount" - "accounting"."settlements"."refund_amount"),
	CONSTRAINT "settlements_net_is_gross_less_fee" CHECK ("accounting"."settlements"."net_amount" = "accounting"."settlements"."gross_amount" - "accounting"."settlements"."fee_amount"),
	CONSTRAINT "settlements_fee_basis_points_range" CHECK ("accounting"."settlements"."fee_basis_points" between 0 and 10000),
	CONSTRAINT "settlements_settled_at_iff_completed" CHECK (("accounting"."settlements"."status" = 'COMPLETED') = ("accounting"."settlements"."settled_at" is not null)),
	CONSTRAINT "settlements_failure_reason_iff_failed" CHECK (("accounting"."settlements"."status" = 'FAILED') = ("accounting"."settlements"."failure_reason" is not null)),
	CONSTRAINT "settlements_payout_only_when_completed" CHECK ("accounting"."settlements"."status" = 'COMPLETED' or ("accounting"."settlements"."payout_amount" = 0 and "accounting"."settlements"."fee_entry_id" is null and "accounting"."settlements"."payout_entry_id" is null))
);
--> statement-breakpoint
ALTER TABLE "accounting"."entries" ADD CONSTRAINT "entries_corrects_entry_id_entries_id_fk" FOREIGN KEY ("corrects_entry_id") REFERENCES "accounting"."entries"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounting"."postings" ADD CONSTRAINT "postings_entry_id_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "accounting"."entries"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounting"."settlement_candidates" ADD CONSTRAINT "settlement_candidates_settlement_id_settlements_id_fk" FOREIGN KEY ("settlement_id") REFERENCES "accounting"."settlements"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounting"."settlement_candidates" ADD CONSTRAINT "settlement_candidates_entry_id_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "accounting"."entries"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounting"."settlement_entries" ADD CONSTRAINT "settlement_entries_entry_id_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "accounting"."entries"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounting"."settlement_entries" ADD CONSTRAINT "settlement_entries_settlement_id_settlements_id_fk" FOREIGN KEY ("settlement_id") REFERENCES "accounting"."settlements"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounting"."settlement_entries" ADD CONSTRAINT "settlement_entries_candidate_fk" FOREIGN KEY ("settlement_id","entry_id") REFERENCES "accounting"."settlement_candidates"("settlement_id","entry_id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounting"."settlements" ADD CONSTRAINT "settlements_fee_entry_id_entries_id_fk" FOREIGN KEY ("fee_entry_id") REFERENCES "accounting"."entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounting"."settlements" ADD CONSTRAINT "settlements_payout_entry_id_entries_id_fk" FOREIGN KEY ("payout_entry_id") REFERENCES "accounting"."entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "entries_kind_reference_key" ON "accounting"."entries" USING btree ("kind","reference_id") WHERE "accounting"."entries"."kind" <> 'CORRECTION';--> statement-breakpoint
CREATE INDEX "entries_merchant_id_idx" ON "accounting"."entries" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE INDEX "entries_merchant_currency_idx" ON "accounting"."entries" USING btree ("merchant_id","currency","kind","occurred_at");--> statement-breakpoint
CREATE INDEX "postings_entry_id_idx" ON "accounting"."postings" USING btree ("entry_id");--> statement-breakpoint
CREATE INDEX "postings_account_idx" ON "accounting"."postings" USING btree ("account","currency","amount");--> statement-breakpoint
CREATE INDEX "settlement_candidates_entry_id_idx" ON "accounting"."settlement_candidates" USING btree ("entry_id");--> statement-breakpoint
CREATE INDEX "settlement_entries_settlement_id_idx" ON "accounting"."settlement_entries" USING btree ("settlement_id");--> statement-breakpoint
CREATE UNIQUE INDEX "settlements_one_open_key" ON "accounting"."settlements" USING btree ("merchant_id","currency") WHERE "accounting"."settlements"."status" in ('PENDING', 'PROCESSING');--> statement-breakpoint
CREATE INDEX "settlements_merchant_id_idx" ON "accounting"."settlements" USING btree ("merchant_id","id");