import { randomBytes } from "node:crypto";
import { PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import {
  createSpanRecorder,
  formatTraceTree,
  type ReadableSpan,
  spanService,
} from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";

// The whole platform on real ports, every service exporting its spans to one in-memory
// recorder: what an operator would see in Jaeger, read back span by span.

const recorder = createSpanRecorder();
let platform: GatewayPlatform;
let merchant: TestMerchant;
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_trace", {}, undefined, { spanExporter: recorder });
  merchant = await platform.newMerchant();
});
afterAll(() => platform.stop());

// OpenTelemetry's SpanKind, by value: SERVER and CLIENT.
const server = 1;
const client = 2;

/** A caller's own trace context, as a client in any language would send it. */
function callerTrace() {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

let sequence = 0;
function paymentRequest(paymentMethod: string, email: string) {
  sequence++;
  return {
    idempotencyKey: `trace-key-${sequence}-${Date.now()}`,
    merchantOrderNo: `trace-order-${sequence}-${Date.now()}`,
    // A distinctive amount, to look for in span attributes.
    amount: 731_957n,
    currency: "USD",
    paymentMethod,
    description: "traced",
    customer: { email, ip: "203.0.113.10" },
  };
}

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
const spansOfTrace = (traceId: string) =>
  recorder.getFinishedSpans().filter((span) => traceOf(span) === traceId);
const linkedTo = (span: ReadableSpan, traceId: string) =>
  span.links.some((link) => link.context.traceId === traceId);

/** The span and its ancestors among `spans`, innermost first. */
function ancestry(span: ReadableSpan, spans: readonly ReadableSpan[]): ReadableSpan[] {
  const byId = new Map(spans.map((each) => [idOf(each), each]));
  const chain = [span];
  for (
    let parent = byId.get(span.parentSpanContext?.spanId ?? "");
    parent;
    parent = byId.get(parent.parentSpanContext?.spanId ?? "")
  ) {
    chain.push(parent);
  }
  return chain;
}

function findSpan(
  spans: readonly ReadableSpan[],
  service: string,
  kind: number,
  name: string,
): ReadableSpan {
  const found = spans.find(
    (span) => spanService(span) === service && span.kind === kind && span.name === name,
  );
  if (!found) {
    throw new Error(`no ${service} span ${name} in:\n${formatTraceTree(spans)}`);
  }
  return found;
}

/** Every string a span exports besides its name: attributes, events, links, status. */
function exportedText(span: ReadableSpan): string {
  return JSON.stringify([
    span.attributes,
    span.events.map((event) => [event.name, event.attributes]),
    span.links.map((link) => link.attributes),
    span.status,
    span.resource.attributes,
  ]);
}

describe("tracing one payment", () => {
  it("yields one trace across gateway, merchant, risk, order and channel, with the outbox deliveries linked to it", async () => {
    const caller = callerTrace();
    const email = "traced-buyer@example.com";
    const { payment } = await merchant.gateway.createPayment(paymentRequest("tok_visa", email), {
      headers: { traceparent: caller.traceparent },
    });
    expect(payment?.status).toBe(PaymentStatus.SUCCEEDED);

    // The outbox delivers MarkOrderPaid and RecordPayment later, each in a trace of its own
    // linked to this one.
    const deliveries = await eventually(() => {
      const all = recorder.getFinishedSpans();
      const found = ["order.paid", "ledger.payment"].map((kind) => {
        const delivery = all.find(
          (span) => span.name === `outbox.deliver ${kind}` && linkedTo(span, caller.traceId),
        );
        expect(delivery, kind).toBeDefined();
        return delivery as ReadableSpan;
      });
      const [orderPaid, ledger] = found.map((delivery) => spansOfTrace(traceOf(delivery)));
      findSpan(orderPaid ?? [], "kassa-order", server, "kassa.order.v1.OrderService/MarkOrderPaid");
      findSpan(
        ledger ?? [],
        "kassa-accounting",
        server,
        "kassa.accounting.v1.AccountingService/RecordPayment",
      );
      return found;
    });

    const spans = spansOfTrace(caller.traceId);
    const root = findSpan(
      spans,
      "kassa-gateway",
      server,
      "kassa.gateway.v1.GatewayService/CreatePayment",
    );
    // The gateway's span is a child of the caller's.
    expect(root.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(root.attributes).toMatchObject({
      "rpc.system": "connect_rpc",
      "rpc.service": "kassa.gateway.v1.GatewayService",
      "rpc.method": "CreatePayment",
      "rpc.grpc.status_code": 0,
    });

    // Each saga step is a child of the gateway's span.
    const steps = spans.filter((span) => span.name.startsWith("saga."));
    expect(steps.map((span) => span.name)).toEqual(
      expect.arrayContaining([
        "saga.persist",
        "saga.risk",
        "saga.order",
        "saga.charge",
        "saga.finish",
      ]),
    );
    for (const step of steps) expect(step.parentSpanContext?.spanId).toBe(idOf(root));

    // Each dependency's server span is the child of the gateway's client span for that call,
    // made inside its saga step (the API key check, before the handler, has no step).
    const hops = [
      ["kassa-merchant", "kassa.merchant.v1.MerchantService/AuthenticateApiKey", undefined],
      ["kassa-risk", "kassa.risk.v1.RiskService/Assess", "saga.risk"],
      ["kassa-order", "kassa.order.v1.OrderService/CreateOrder", "saga.order"],
      ["kassa-channel", "kassa.channel.v1.ChannelService/Charge", "saga.charge"],
    ] as const;
    for (const [service, name, step] of hops) {
      const served = findSpan(spans, service, server, name);
      const [, call, caller] = ancestry(served, spans);
      expect(call?.kind, name).toBe(client);
      expect(call?.name).toBe(name);
      expect(call && spanService(call)).toBe("kassa-gateway");
      expect(caller?.name).toBe(step ?? root.name);
      expect(ancestry(served, spans)).toContain(root);
    }

    // Statements are spans too, named by operation and table, under the step that ran them.
    const insert = findSpan(spans, "kassa-gateway", client, "INSERT gateway.payments");
    expect(insert.attributes).toMatchObject({
      "db.system": "postgresql",
      "db.operation.name": "INSERT",
      "db.collection.name": "gateway.payments",
    });
    expect(ancestry(insert, spans)[1]?.name).toBe("saga.persist");

    // The delivery spans hold the outbox's client call, whose server span is the target's.
    for (const delivery of deliveries) {
      const delivered = spansOfTrace(traceOf(delivery));
      const call = delivered.find(
        (span) => span.kind === client && span.parentSpanContext?.spanId === idOf(delivery),
      );
      expect(call, delivery.name).toBeDefined();
      expect(
        delivered.some((span) => span.parentSpanContext?.spanId === idOf(call as ReadableSpan)),
      ).toBe(true);
    }

    // Nothing secret or personal leaves in a span: not the API key, the card token, the
    // customer's email, nor the amount (as a statement's parameter or otherwise).
    for (const span of [...spans, ...deliveries.flatMap((d) => spansOfTrace(traceOf(d)))]) {
      const text = exportedText(span);
      expect(text).not.toContain(merchant.apiKey);
      expect(text).not.toContain("tok_visa");
      expect(text).not.toContain(email);
      expect(text).not.toContain("731957");
    }

    if (process.env.KASSA_PRINT_TRACE) {
      console.log(formatTraceTree(spans));
      for (const delivery of deliveries)
        console.log(formatTraceTree(spansOfTrace(traceOf(delivery))));
    }
  });

  it("writes the trace id on the log lines of every service the payment passed through", async () => {
    const caller = callerTrace();
    await merchant.gateway.createPayment(paymentRequest("tok_visa", "logged@example.com"), {
      headers: { traceparent: caller.traceparent },
    });
    const rpcLine = (service: "gateway" | "risk" | "order" | "channel", rpc: string) =>
      platform.services[service].logs.lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === "rpc" && line.rpc === rpc && line.trace_id === caller.traceId);
    const lines = await eventually(() => {
      const found = [
        rpcLine("gateway", "kassa.gateway.v1.GatewayService/CreatePayment"),
        rpcLine("risk", "kassa.risk.v1.RiskService/Assess"),
        rpcLine("order", "kassa.order.v1.OrderService/CreateOrder"),
        rpcLine("channel", "kassa.channel.v1.ChannelService/Charge"),
      ];
      for (const line of found) expect(line).toBeDefined();
      return found;
    });
    for (const line of lines) expect(line?.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it("links the reconciler's span to the trace of a payment the channel answered too late", async () => {
    const caller = callerTrace();
    const { payment } = await merchant.gateway.createPayment(
      paymentRequest("tok_timeout", "late@example.com"),
      { headers: { traceparent: caller.traceparent } },
    );
    expect(payment?.status).toBe(PaymentStatus.PROCESSING);

    const reconciliation = await eventually(() => {
      const span = recorder
        .getFinishedSpans()
        .find((each) => each.name === "reconcile payment" && linkedTo(each, caller.traceId));
      expect(span).toBeDefined();
      return span as ReadableSpan;
    });
    expect(reconciliation.attributes["kassa.reconcile.subject"]).toBe(payment?.id);
    // A trace of its own, whose GetCharge call reached the channel.
    expect(traceOf(reconciliation)).not.toBe(caller.traceId);
    const spans = spansOfTrace(traceOf(reconciliation));
    const answered = findSpan(
      spans,
      "kassa-channel",
      server,
      "kassa.channel.v1.ChannelService/GetCharge",
    );
    expect(ancestry(answered, spans)).toContain(reconciliation);
    await eventually(async () => {
      const { payment: now } = await merchant.gateway.getPayment({ paymentId: payment?.id ?? "" });
      expect(now?.status).toBe(PaymentStatus.SUCCEEDED);
    });
  });
});
