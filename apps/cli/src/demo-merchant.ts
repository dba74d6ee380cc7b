import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";

/** The merchant `npm start` creates once, so a new user can take a payment at once. */
export interface DemoMerchant {
  merchantId: string;
  apiKey: string;
}

/**
 * The demo merchant of a local platform: read from `<dataDir>/demo-merchant.json` when it still
 * exists in the merchant service, otherwise created ("Demo Shop" and an API key) and saved there
 * (mode 600), so a restart never creates a second one.
 */
export async function ensureDemoMerchant(options: {
  dataDir: string;
  merchantUrl: string;
  adminToken: string;
}): Promise<DemoMerchant> {
  const file = path.join(options.dataDir, "demo-merchant.json");
  const merchants = createClient(
    MerchantService,
    createConnectTransport({
      baseUrl: options.merchantUrl,
      httpVersion: "1.1",
      interceptors: [
        (next) => (request) => {
          request.header.set("authorization", `Bearer ${options.adminToken}`);
          return next(request);
        },
      ],
    }),
  );
  const saved = await readFile(file, "utf8")
    .then((text) => JSON.parse(text) as DemoMerchant)
    .catch(() => undefined);
  if (saved) {
    try {
      await merchants.getMerchant({ merchantId: saved.merchantId });
      return saved;
    } catch (error) {
      // The data was reset (another database): make a new demo merchant below.
      if (ConnectError.from(error).code !== Code.NotFound) throw error;
    }
  }
  const { merchant } = await merchants.createMerchant({ name: "Demo Shop" });
  const merchantId = merchant?.id ?? "";
  const { secret } = await merchants.createApiKey({ merchantId, name: "npm start demo" });
  const demo = { merchantId, apiKey: secret };
  await writeFile(file, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  return demo;
}

/** A curl line that takes a payment as the demo merchant; unique per start, idempotent per paste. */
export function demoPaymentCurl(gatewayUrl: string, apiKey: string, orderNo: string): string {
  const body = JSON.stringify({
    idempotencyKey: `${orderNo}-attempt-1`,
    merchantOrderNo: orderNo,
    amount: "1999",
    currency: "USD",
    paymentMethod: "tok_visa",
  });
  return [
    `curl -s ${gatewayUrl}/kassa.gateway.v1.GatewayService/CreatePayment \\`,
    `    -H 'content-type: application/json' -H 'authorization: Bearer ${apiKey}' \\`,
    `    -d '${body}'`,
  ].join("\n");
}
