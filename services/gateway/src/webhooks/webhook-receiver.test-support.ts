import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One POST a receiver got. */
export interface ReceivedWebhook {
  readonly headers: http.IncomingHttpHeaders;
  /** The raw body, exactly as sent (what the signature covers). */
  readonly body: string;
  /** The body parsed: the Event as JSON. */
  readonly event: {
    id: string;
    type: string;
    apiVersion: string;
    /** The Payment or Refund in its JSON form. */
    data: { payment?: Record<string, string>; refund?: Record<string, string> };
  };
  /** `Kassa-Signature`. */
  readonly signature: string;
}

/** How a receiver answers: a status code, or `hang` (never answer). */
export type ReceiverAnswer = number | "hang";

/** A merchant's webhook receiver: a real HTTP server on a free port. */
export interface WebhookReceiver {
  readonly port: number;
  /** Everything it got, in arrival order. */
  readonly received: ReceivedWebhook[];
  /** Decides each answer; default 200. Replace it at any time. */
  answer: (webhook: ReceivedWebhook, index: number) => ReceiverAnswer;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1, port 0. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const webhook: ReceivedWebhook = {
      headers: request.headers,
      body,
      event: JSON.parse(body),
      signature: String(request.headers["kassa-signature"] ?? ""),
    };
    received.push(webhook);
    const answer = receiver.answer(webhook, received.length - 1);
    if (answer === "hang") return;
    response.writeHead(answer, { "content-type": "text/plain" }).end(`answered ${answer}`);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const receiver: WebhookReceiver = {
    port: (server.address() as AddressInfo).port,
    received,
    answer: () => 200,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
  return receiver;
}
