-- The ledger's invariants, kept by the database itself so that no code path (a bug, a manual
-- fix in psql) can break them. drizzle-kit cannot express triggers, hence this hand-written
-- migration. Plain PL/pgSQL: it runs on Postgres and on PGlite alike.

-- 1. Every journal entry balances: at least two postings, summing to zero per currency.
--    Checked at COMMIT (deferred), once all of a transaction's postings are in, for every entry
--    the transaction inserted and every entry it added postings to.
CREATE FUNCTION "accounting"."assert_entry_balanced"(checked_entry_id text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  legs integer;
  unbalanced_currency text;
BEGIN
  SELECT count(*) INTO legs FROM "accounting"."postings" WHERE entry_id = checked_entry_id;
  IF legs < 2 THEN
    RAISE EXCEPTION 'journal entry % has % posting(s); an entry needs at least 2', checked_entry_id, legs
      USING ERRCODE = 'check_violation', CONSTRAINT = 'entries_balanced';
  END IF;
  SELECT currency INTO unbalanced_currency
    FROM "accounting"."postings"
    WHERE entry_id = checked_entry_id
    GROUP BY currency
    HAVING sum(amount) <> 0
    LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % does not balance: its % postings do not sum to zero', checked_entry_id, unbalanced_currency
      USING ERRCODE = 'check_violation', CONSTRAINT = 'entries_balanced';
  END IF;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION "accounting"."entry_balanced"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "accounting"."assert_entry_balanced"(NEW.id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION "accounting"."posting_entry_balanced"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "accounting"."assert_entry_balanced"(NEW.entry_id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "entries_balanced"
  AFTER INSERT ON "accounting"."entries"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION "accounting"."entry_balanced"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "postings_entry_balanced"
  AFTER INSERT ON "accounting"."postings"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION "accounting"."posting_entry_balanced"();
--> statement-breakpoint

-- 2. The ledger is append-only: entries, postings and the record of what each settlement
--    gathered and settled are never updated, deleted or truncated. A mistake is corrected by a
--    new CORRECTION entry; a failed settlement frees its entries by its status alone.
CREATE FUNCTION "accounting"."refuse_ledger_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on accounting.% is not allowed: the ledger is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "entries_append_only" BEFORE UPDATE OR DELETE ON "accounting"."entries"
  FOR EACH ROW EXECUTE FUNCTION "accounting"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "entries_no_truncate" BEFORE TRUNCATE ON "accounting"."entries"
  FOR EACH STATEMENT EXECUTE FUNCTION "accounting"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "postings_append_only" BEFORE UPDATE OR DELETE ON "accounting"."postings"
  FOR EACH ROW EXECUTE FUNCTION "accounting"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "postings_no_truncate" BEFORE TRUNCATE ON "accounting"."postings"
  FOR EACH STATEMENT EXECUTE FUNCTION "accounting"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "settlement_candidates_append_only" BEFORE UPDATE OR DELETE ON "accounting"."settlement_candidates"
  FOR EACH ROW EXECUTE FUNCTION "accounting"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "settlement_candidates_no_truncate" BEFORE TRUNCATE ON "accounting"."settlement_candidates"
  FOR EACH STATEMENT EXECUTE FUNCTION "accounting"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "settlement_entries_append_only" BEFORE UPDATE OR DELETE ON "accounting"."settlement_entries"
  FOR EACH ROW EXECUTE FUNCTION "accounting"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "settlement_entries_no_truncate" BEFORE TRUNCATE ON "accounting"."settlement_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION "accounting"."refuse_ledger_change"();
--> statement-breakpoint

-- 3. Settlements change status but are never deleted (records of money are kept).
CREATE TRIGGER "settlements_no_delete" BEFORE DELETE ON "accounting"."settlements"
  FOR EACH ROW EXECUTE FUNCTION "accounting"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "settlements_no_truncate" BEFORE TRUNCATE ON "accounting"."settlements"
  FOR EACH STATEMENT EXECUTE FUNCTION "accounting"."refuse_ledger_change"();
