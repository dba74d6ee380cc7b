import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { TlsClientOptions } from "../server/tls-settings.js";

// An independent gRPC implementation (grpc-js, not Connect) to prove the wire protocol, the
// way grpc_health_probe or a Kubernetes probe would speak it.

const protoRoot = fileURLToPath(new URL("../../../../proto", import.meta.url));
const definition = protoLoader.loadSync(
  ["grpc/health/v1/health.proto", "kassa/order/v1/order.proto"],
  { includeDirs: [protoRoot], keepCase: true, enums: String, defaults: true, longs: String },
);
// biome-ignore lint/suspicious/noExplicitAny: grpc-js builds its clients from descriptors at run time.
const loaded = grpc.loadPackageDefinition(definition) as any;

/** A grpc-js call's failure: its numeric gRPC status code. */
export interface GrpcFailure {
  code: grpc.status;
  details: string;
}

type Unary = (
  request: unknown,
  callback: (error: GrpcFailure | null, response: unknown) => void,
) => void;

function unary<T>(client: grpc.Client, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    (client[method as keyof grpc.Client] as unknown as Unary).call(
      client,
      request,
      (error, response) => (error ? reject(error) : resolve(response as T)),
    );
  });
}

/** grpc-js channel credentials: TLS trusting `tls.ca` (presenting `cert`/`key` when given). */
export function grpcJsTls(tls: TlsClientOptions): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

/** grpc.health.v1 over grpc-js against `host:port` (plaintext h2c unless `credentials`). */
export function grpcJsHealth(
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
) {
  const client: grpc.Client = new loaded.grpc.health.v1.Health(address, credentials);
  return {
    check: (service: string) =>
      unary<{ status: string }>(client, "Check", { service }).then((r) => r.status),
    list: () =>
      unary<{ statuses: Record<string, { status: string }> }>(client, "List", {}).then((r) =>
        Object.fromEntries(Object.entries(r.statuses).map(([name, s]) => [name, s.status])),
      ),
    /** Opens a Watch stream; `next()` resolves with each status in order. */
    watch(service: string) {
      const call = (
        client as unknown as { Watch(r: unknown): grpc.ClientReadableStream<{ status: string }> }
      ).Watch({
        service,
      });
      const received: string[] = [];
      const waiting: Array<(status: string) => void> = [];
      call.on("data", (message: { status: string }) => {
        const waiter = waiting.shift();
        if (waiter) waiter(message.status);
        else received.push(message.status);
      });
      call.on("error", () => {});
      return {
        next: () =>
          new Promise<string>((resolve) => {
            const ready = received.shift();
            if (ready !== undefined) resolve(ready);
            else waiting.push(resolve);
          }),
        cancel: () => call.cancel(),
      };
    },
    close: () => client.close(),
  };
}

/** kassa.order.v1.OrderService/GetOrder over grpc-js (plaintext h2c unless `credentials`). */
export function grpcJsGetOrder(
  address: string,
  orderId: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
) {
  const client: grpc.Client = new loaded.kassa.order.v1.OrderService(address, credentials);
  return unary<{ order: { id: string } }>(client, "GetOrder", { order_id: orderId }).finally(() =>
    client.close(),
  );
}

/**
 * One unary call over grpc-js whose request is given as encoded bytes, exactly as they go on
 * the wire (e.g. bytes no protobuf library would produce); resolves with the response bytes.
 */
export function grpcJsRawUnary(
  address: string,
  path: string,
  request: Uint8Array,
): Promise<Buffer> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      Buffer.from(request),
      (error, response) => (error || !response ? reject(error) : resolve(response)),
    );
  }).finally(() => client.close());
}
