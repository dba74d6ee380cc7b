CREATE TYPE "order"."order_status" AS ENUM('CREATED', 'PAID', 'CANCELLED');--> statement-breakpoint
CREATE TABLE "order"."order_transitions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"from_status" "order"."order_status",
	"to_status" "order"."order_status" NOT NULL,
	"payment_id" text,
	"reason" text,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order"."orders" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"merchant_order_no" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"status" "order"."order_status" NOT NULL,
	"payment_id" text,
	"cancel_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "orders_amount_positive" CHECK ("order"."orders"."amount" > 0),
	CONSTRAINT "orders_paid_has_payment" CHECK ("order"."orders"."status" <> 'PAID' or "order"."orders"."payment_id" is not null)
);
--> statement-breakpoint
ALTER TABLE "order"."order_transitions" ADD CONSTRAINT "order_transitions_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "order"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "order_transitions_order_id_idx" ON "order"."order_transitions" USING btree ("order_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_merchant_order_no_key" ON "order"."orders" USING btree ("merchant_id","merchant_order_no");