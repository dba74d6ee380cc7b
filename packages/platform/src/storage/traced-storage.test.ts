import { describe, expect, it } from "vitest";
import { describeStatement } from "./traced-storage.js";

describe("a statement's span name", () => {
  it("is its operation and first table", () => {
    expect(describeStatement('select "id" from "gateway"."payments" where "id" = $1')).toEqual({
      operation: "SELECT",
      table: "gateway.payments",
    });
    expect(describeStatement("select 1")).toEqual({ operation: "SELECT" });
  });

  it("is the first write of a statement of CTEs that writes", () => {
    expect(
      describeStatement(
        'with "before" as (select "id" from "gateway"."payments" for update), "updated" as (update "gateway"."payments" set "status" = $1 returning *) select * from "updated"',
      ),
    ).toEqual({ operation: "UPDATE", table: "gateway.payments" });
    expect(
      describeStatement(
        'with "created" as (insert into "order"."orders" ("id") values ($1) returning *) select * from "created"',
      ),
    ).toEqual({ operation: "INSERT", table: "order.orders" });
    expect(describeStatement('with "x" as (select 1) select * from "x"')).toEqual({
      operation: "WITH",
      table: "x",
    });
  });
});
