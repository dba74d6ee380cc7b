import { once } from "node:events";
import net from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestCertificates, type TestCertificates } from "../testing/index.js";
import { createOnePortServer, type NodeRequestHandler } from "./one-port-server.js";

// Draining HTTP/1.1 keep-alive connections, in both modes, with raw sockets so nothing but the
// server decides when a connection closes.

let certs: TestCertificates;
beforeAll(async () => {
  certs = await createTestCertificates();
});
afterAll(() => certs?.remove());

/** Resolves with everything read from `socket` once it contains `text`. */
function readUntil(socket: net.Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const onData = (chunk: Buffer) => {
      received += chunk.toString("utf8");
      if (!received.includes(text)) return;
      socket.off("data", onData);
      socket.off("error", reject);
      resolve(received);
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

const modes = [
  { mode: "cleartext", secure: false },
  { mode: "TLS", secure: true },
];

describe.each(modes)("draining HTTP/1.1 ($mode)", ({ secure }) => {
  async function serve(handler: NodeRequestHandler) {
    const server = createOnePortServer(handler, {
      ...(secure && { tls: { cert: certs.service.cert, key: certs.service.key } }),
    });
    const port = await server.listen(0, "127.0.0.1");
    const socket = secure
      ? tls.connect({ host: "127.0.0.1", port, ca: certs.ca, ALPNProtocols: ["http/1.1"] })
      : net.connect(port, "127.0.0.1");
    await once(socket, secure ? "secureConnect" : "connect");
    return { server, socket };
  }
  const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: kassa\r\n\r\n`;

  it("closes an idle keep-alive connection when the server stops accepting", async () => {
    const { server, socket } = await serve((_request, response) => response.end("ok"));
    socket.write(get("/first"));
    expect(await readUntil(socket, "ok")).toMatch(/^connection: keep-alive$/im);

    const closed = once(socket, "close");
    server.stopAccepting();
    await closed;
    server.destroy();
  });

  it("answers a request in flight with Connection: close, then closes the connection", async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived = () => {};
    const inHandler = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const { server, socket } = await serve((_request, response) => {
      arrived();
      void released.then(() => response.end("done"));
    });
    socket.write(get("/slow"));
    await inHandler;

    server.stopAccepting();
    expect(server.activeRequests).toBe(1);
    const closed = once(socket, "close");
    release();
    const answer = await readUntil(socket, "done");
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toMatch(/^connection: close$/im);
    await closed;
    expect(await server.drained(1000)).toBe(true);
    server.destroy();
  });
});
