import { Code } from "@connectrpc/connect";
import { OrderService, OrderStatus } from "@kassa/contracts/kassa/order/v1/order_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orders, orderTransitions } from "../db/schema.js";
import { orderService } from "../server.js";

const start = () => startTestService(orderService, { label: "order_create" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const client = () => service.client(OrderService, testTokens.internal);
const request = (overrides: Record<string, unknown> = {}) => ({
  merchantId: createId("mer"),
  merchantOrderNo: "A-1001",
  amount: 1999n,
  currency: "USD",
  description: "two books",
  ...overrides,
});
const counts = async () => ({
  orders: await service.context.db.$count(orders),
  transitions: await service.context.db.$count(orderTransitions),
});

describe("CreateOrder", () => {
  it("creates an order in CREATED with its first transition", async () => {
    const answer = await client().createOrder(request());
    expect(answer.created).toBe(true);
    expect(answer.order).toMatchObject({
      merchantOrderNo: "A-1001",
      amount: 1999n,
      currency: "USD",
      description: "two books",
      status: OrderStatus.CREATED,
    });
    expect(answer.order?.id).toMatch(/^ord_[0-9A-Z]{26}$/);
    const history = await client().getOrder({ orderId: answer.order?.id ?? "" });
    expect(history.transitions.map((t) => [t.fromStatus, t.toStatus])).toEqual([
      [OrderStatus.UNSPECIFIED, OrderStatus.CREATED],
    ]);
  });

  it("returns the same order for the same request, without a second row", async () => {
    const same = request({ merchantOrderNo: "A-1002" });
    const first = await client().createOrder(same);
    const before = await counts();
    const again = await client().createOrder({ ...same, description: "another description" });
    expect(again.created).toBe(false);
    expect(again.order?.id).toBe(first.order?.id);
    expect(again.order?.description).toBe("two books");
    expect(await counts()).toEqual(before);
  });

  it("answers ALREADY_EXISTS for the same order number with another amount or currency", async () => {
    const original = request({ merchantOrderNo: "A-1003" });
    await client().createOrder(original);
    const before = await counts();
    for (const conflict of [{ amount: 2000n }, { currency: "EUR" }]) {
      const error = await rejectionOf(client().createOrder({ ...original, ...conflict }));
      expect(error.code).toBe(Code.AlreadyExists);
      expect(error.rawMessage).toContain("merchant_order_no A-1003");
    }
    expect(await counts()).toEqual(before);
  });

  it("lets two merchants use the same order number", async () => {
    const a = await client().createOrder(request({ merchantOrderNo: "SHARED" }));
    const b = await client().createOrder(request({ merchantOrderNo: "SHARED" }));
    expect(a.order?.id).not.toBe(b.order?.id);
    expect([a.created, b.created]).toEqual([true, true]);
  });

  it("creates exactly one order for 20 concurrent identical requests", async () => {
    const same = request({ merchantOrderNo: "A-RACE" });
    const answers = await Promise.all(Array.from({ length: 20 }, () => client().createOrder(same)));
    expect(new Set(answers.map((a) => a.order?.id)).size).toBe(1);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
  });

  it.each([
    ["merchant_id", { merchantId: "" }, "merchant_id: is required"],
    [
      "merchant_id",
      { merchantId: "ord_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" },
      "merchant_id: must be a mer_… id",
    ],
    ["merchant_order_no", { merchantOrderNo: "" }, "merchant_order_no: is required"],
    [
      "merchant_order_no",
      { merchantOrderNo: "x".repeat(65) },
      "merchant_order_no: must be at most 64 characters",
    ],
    ["amount", { amount: 0n }, "amount: must be greater than 0"],
    ["amount", { amount: -5n }, "amount: must be greater than 0"],
    ["currency", { currency: "" }, "currency: is required"],
    ["currency", { currency: "usd" }, "currency: must be an ISO 4217 currency code such as USD"],
    ["currency", { currency: "XXX" }, "currency: must be an ISO 4217 currency code such as USD"],
    [
      "description",
      { description: "d".repeat(1001) },
      "description: must be at most 1000 characters",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const before = await counts();
      const error = await rejectionOf(client().createOrder(request(bad)));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
      expect(await counts()).toEqual(before);
    },
  );

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const before = await counts();
    const error = await rejectionOf(service.client(OrderService).createOrder(request()));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(await counts()).toEqual(before);
  });
});
