CREATE TYPE "merchant"."api_key_status" AS ENUM('ACTIVE', 'REVOKED');--> statement-breakpoint
CREATE TYPE "merchant"."merchant_status" AS ENUM('ACTIVE', 'SUSPENDED');--> statement-breakpoint
CREATE TABLE "merchant"."api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"prefix" text NOT NULL,
	"digest" text NOT NULL,
	"status" "merchant"."api_key_status" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_name_length" CHECK (char_length("merchant"."api_keys"."name") <= 100),
	CONSTRAINT "api_keys_prefix_length" CHECK (char_length("merchant"."api_keys"."prefix") = 12),
	CONSTRAINT "api_keys_digest_sha256_hex" CHECK ("merchant"."api_keys"."digest" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "api_keys_revoked_at_iff_revoked" CHECK (("merchant"."api_keys"."status" = 'REVOKED') = ("merchant"."api_keys"."revoked_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "merchant"."fee_rules" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"currency" text,
	"basis_points" integer NOT NULL,
	"fixed_amount" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"replaced_at" timestamp with time zone,
	CONSTRAINT "fee_rules_basis_points_range" CHECK ("merchant"."fee_rules"."basis_points" between 0 and 10000),
	CONSTRAINT "fee_rules_fixed_amount_not_negative" CHECK ("merchant"."fee_rules"."fixed_amount" >= 0),
	CONSTRAINT "fee_rules_currency_code" CHECK ("merchant"."fee_rules"."currency" is null or "merchant"."fee_rules"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "merchant"."merchants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"status" "merchant"."merchant_status" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "merchants_name_length" CHECK (char_length("merchant"."merchants"."name") between 1 and 200)
);
--> statement-breakpoint
ALTER TABLE "merchant"."api_keys" ADD CONSTRAINT "api_keys_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "merchant"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "merchant"."fee_rules" ADD CONSTRAINT "fee_rules_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "merchant"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_digest_key" ON "merchant"."api_keys" USING btree ("digest");--> statement-breakpoint
CREATE INDEX "api_keys_merchant_id_idx" ON "merchant"."api_keys" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "fee_rules_current_default_key" ON "merchant"."fee_rules" USING btree ("merchant_id") WHERE "merchant"."fee_rules"."currency" is null and "merchant"."fee_rules"."replaced_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "fee_rules_current_currency_key" ON "merchant"."fee_rules" USING btree ("merchant_id","currency") WHERE "merchant"."fee_rules"."replaced_at" is null;--> statement-breakpoint
CREATE INDEX "merchants_status_id_idx" ON "merchant"."merchants" USING btree ("status","id");