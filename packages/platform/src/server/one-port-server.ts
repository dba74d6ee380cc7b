import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

/** A request from either protocol; Connect's Node adapter accepts both. */
export type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
/** A response to either protocol. */
export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
/** Handles one request; the same function serves HTTP/1.1 and HTTP/2. */
export type NodeRequestHandler = (request: NodeRequest, response: NodeResponse) => void;

/** One TCP port serving HTTP/1.1 and cleartext HTTP/2 (h2c, prior knowledge). */
export interface OnePortServer {
  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number>;
  /** Requests being handled right now, including open streams. */
  readonly activeRequests: number;
  /**
   * Stops accepting connections and asks open ones to wind down: GOAWAY on HTTP/2 (streams
   * in flight finish), idle HTTP/1.1 sockets closed.
   */
  stopAccepting(): void;
  /** Resolves once no request is in flight, or after `timeoutMs`; returns whether it drained. */
  drained(timeoutMs: number): Promise<boolean>;
  /** Destroys every remaining connection. */
  destroy(): void;
}

// Every HTTP/2 connection without TLS starts with this preface; no HTTP/1.1 request can.
const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
// Bytes that separate the preface from any HTTP/1.1 method ("PRI " vs "POST", "PUT "…).
const decisiveBytes = 4;
// A client that connects and sends nothing is dropped after this long.
const firstBytesTimeoutMs = 10_000;

/**
 * Creates a server that serves gRPC (HTTP/2 only), gRPC-Web and Connect (either version) and
 * plain HTTP routes on one port. Node's `allowHTTP1` needs TLS, so instead the first bytes of
 * each connection are read: the HTTP/2 preface goes to an http2 server, anything else to an
 * http server. The sniffed bytes are pushed back so the chosen server reads them again.
 */
export function createOnePortServer(handler: NodeRequestHandler): OnePortServer {
  let active = 0;
  let idleWaiters: Array<() => void> = [];
  const tracked: NodeRequestHandler = (request, response) => {
    active++;
    response.once("close", () => {
      active--;
      if (active === 0) {
        for (const wake of idleWaiters) wake();
        idleWaiters = [];
      }
    });
    handler(request, response);
  };

  const h1 = http.createServer(tracked);
  const h2 = http2.createServer({}, tracked);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const listener = net.createServer((socket) => {
    socket.setTimeout(firstBytesTimeoutMs, () => socket.destroy());
    socket.on("error", () => socket.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const seen = Math.min(head.length, h2Preface.length);
      const looksLikeH2 = head.subarray(0, seen).equals(h2Preface.subarray(0, seen));
      if (looksLikeH2 && head.length < decisiveBytes) return;
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      socket.setTimeout(0);
      if (looksLikeH2) {
        // http2 takes the socket over; resuming it here would lose the unshifted bytes.
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        listener.once("error", reject);
        listener.listen(port, host, () => {
          listener.off("error", reject);
          resolve((listener.address() as net.AddressInfo).port);
        });
      });
    },
    get activeRequests() {
      return active;
    },
    stopAccepting() {
      listener.close();
      for (const session of sessions) session.close();
      h1.closeIdleConnections();
    },
    drained(timeoutMs) {
      if (active === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        idleWaiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
    destroy() {
      h1.closeAllConnections();
      for (const session of sessions) session.destroy();
    },
  };
}
