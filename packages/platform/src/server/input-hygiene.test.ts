import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { GetOrderRequestSchema, OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureService } from "../test-fixtures/fixture-service.js";
import { type GrpcFailure, grpcJsRawUnary } from "../testing/grpc-js-client.test-support.js";
import { rejectionOf, startTestService, type TestService } from "../testing/index.js";

// The runtime's input hygiene on the wire: the fixture service borrows OrderService, whose
// GetOrder takes one string, `order_id`.

let service: TestService<unknown>;
beforeAll(async () => {
  service = await startTestService(fixtureService, { label: "hygiene", redis: false });
});
afterAll(() => service.stop());

const getOrderPath = `/${OrderService.typeName}/GetOrder`;
const address = () => new URL(service.url).host;

/** GetOrder over Connect JSON with `body` as the exact request bytes. */
async function postJson(body: Uint8Array | string) {
  const response = await fetch(`${service.url}${getOrderPath}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("input hygiene on the wire", () => {
  it("answers a NUL over Connect JSON with INVALID_ARGUMENT naming the field", async () => {
    const error = await rejectionOf(
      service.client(OrderService).getOrder({ orderId: "ord_\u0000" }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("order_id: must not contain NUL characters (U+0000)");
  });

  it("leaves an escaped lone surrogate in JSON to the decoder, which names the field", async () => {
    // protobuf-es checks every JSON string (map keys too) is well-formed while decoding, so
    // the interceptor's own check is the backstop for other paths (in-process transports).
    const answer = await postJson('{"orderId":"ord_\\ud800"}');
    expect(answer).toEqual({
      status: 400,
      body: {
        code: "invalid_argument",
        message:
          "cannot decode field kassa.order.v1.GetOrderRequest.order_id from JSON: expected string: invalid UTF8",
      },
    });
  });

  it("refuses a JSON body that is not UTF-8 instead of storing U+FFFD", async () => {
    const body = new Uint8Array([
      ...Buffer.from('{"orderId":"ord_'),
      0xc3,
      0x28,
      ...Buffer.from('"}'),
    ]);
    const answer = await postJson(body);
    expect(answer).toEqual({
      status: 400,
      body: { code: "invalid_argument", message: "request: must be UTF-8 encoded JSON" },
    });
  });

  it("answers a bell over gRPC with INVALID_ARGUMENT naming the field", async () => {
    const request = toBinary(
      GetOrderRequestSchema,
      create(GetOrderRequestSchema, { orderId: "ord_\u0007" }),
    );
    const failure = (await grpcJsRawUnary(address(), getOrderPath, request).catch(
      (error: unknown) => error,
    )) as GrpcFailure;
    expect(failure.code).toBe(Code.InvalidArgument);
    // Connect percent-encodes grpc-message more than the spec asks; grpc-js passes it on as is.
    expect(decodeURIComponent(failure.details)).toBe(
      "order_id: must not contain control characters (found U+0007)",
    );
  });

  it("leaves invalid UTF-8 in a gRPC string field to the decoder, which refuses it before any handler", async () => {
    // A lone surrogate cannot be UTF-8: protobuf-es and grpc-js clients send U+FFFD instead, and
    // a WTF-8 encoder would send these bytes (U+D800), which protobuf-es refuses to decode in a
    // proto3 string field. Connect answers a request it cannot parse with INTERNAL, as
    // grpc-go and grpc-java do; nothing reaches an interceptor or a handler.
    const request = new Uint8Array([0x0a, 0x03, 0xed, 0xa0, 0x80]);
    const linesBefore = service.logs.lines.length;
    const failure = (await grpcJsRawUnary(address(), getOrderPath, request).catch(
      (error: unknown) => error,
    )) as GrpcFailure;
    expect(failure.code).toBe(Code.Internal);
    expect(failure.details).toContain("parse binary");
    // The platform's interceptors log every call they see: this one they never saw.
    const rpcLines = service.logs.lines
      .slice(linesBefore)
      .filter((line) => line.includes('"rpc":'));
    expect(rpcLines).toEqual([]);
  });
});
