import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";

/** A request from either protocol; Connect's Node adapter accepts both. */
export type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
/** A response to either protocol. */
export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
/** Handles one request; the same function serves HTTP/1.1 and HTTP/2. */
export type NodeRequestHandler = (request: NodeRequest, response: NodeResponse) => void;

/** Options for {@link createOnePortServer}. */
export interface OnePortServerOptions {
  /**
   * Serve TLS with these options (certificate, key, and client verification for mutual
   * TLS); ALPN offers `h2` and `http/1.1`. Default: cleartext.
   */
  tls?: tls.TlsOptions;
  /** Told about each connection whose TLS handshake failed (an untrusted client, a port scan). */
  onTlsError?: (error: Error) => void;
}

/** One TCP port serving HTTP/1.1 and HTTP/2: cleartext (h2c, prior knowledge) or TLS. */
export interface OnePortServer {
  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number>;
  /** Requests being handled right now, including open streams. */
  readonly activeRequests: number;
  /**
   * Stops accepting connections and asks open ones to wind down: GOAWAY on HTTP/2 (streams
   * in flight finish), idle HTTP/1.1 connections closed and busy ones once answered
   * (`Connection: close`).
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
 * plain HTTP routes on one port. The first bytes of each connection are read: the HTTP/2
 * preface goes to an http2 server, anything else to an http server. The sniffed bytes are
 * pushed back so the chosen server reads them again.
 *
 * With TLS the same happens to the decrypted bytes, after a handshake whose ALPN lets the
 * client pick `h2` or `http/1.1`. Both modes share the two servers, so draining, GOAWAY,
 * `destroy()` and the count of requests in flight work alike. (Node's
 * `createSecureServer({ allowHTTP1 })` negotiates the same ALPN, but keeps its HTTP/1.1
 * connections where `destroy()` cannot reach them: it has no `closeAllConnections`.)
 */
export function createOnePortServer(
  handler: NodeRequestHandler,
  options: OnePortServerOptions = {},
): OnePortServer {
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

  // HTTP/1.1 connections, each with its responses in flight. Node's own closeIdleConnections
  // and closeAllConnections only see connections of a server that listens itself, and h1
  // never does (it is handed sockets), so it is done here.
  const h1Connections = new Map<net.Socket, Set<http.ServerResponse>>();
  let stopping = false;
  const h1 = http.createServer((request, response) => {
    const socket = request.socket;
    const inFlight = h1Connections.get(socket);
    inFlight?.add(response);
    // While draining, every answer closes its connection, as GOAWAY does on HTTP/2.
    if (stopping) response.setHeader("connection", "close");
    response.once("close", () => {
      inFlight?.delete(response);
      if (stopping && inFlight?.size === 0) socket.end();
    });
    tracked(request, response);
  });
  const h2 = http2.createServer({}, tracked);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const route = (socket: net.Socket) => {
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
        h1Connections.set(socket, new Set());
        socket.once("close", () => h1Connections.delete(socket));
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  };
  const listener = options.tls
    ? tls.createServer(
        {
          ...options.tls,
          ALPNProtocols: ["h2", "http/1.1"],
          handshakeTimeout: firstBytesTimeoutMs,
        },
        route,
      )
    : net.createServer(route);
  // Without a listener the failed socket is destroyed all the same, just silently.
  if (options.tls && options.onTlsError) listener.on("tlsClientError", options.onTlsError);

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
      stopping = true;
      listener.close();
      for (const session of sessions) session.close();
      for (const [socket, inFlight] of h1Connections) {
        if (inFlight.size === 0) socket.destroy();
        for (const response of inFlight) {
          if (!response.headersSent) response.setHeader("connection", "close");
        }
      }
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
      for (const socket of h1Connections.keys()) socket.destroy();
      for (const session of sessions) session.destroy();
    },
  };
}
