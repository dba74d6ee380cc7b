import type { RedisStore, Subscription } from "./redis-store.js";

// One in-memory Redis stand-in for all the services of a local platform, kept by the launcher
// and reached over the IPC channel it starts each service with: a key one service deletes (an
// API key's cached authentication, on revocation) is gone for the others, a count is one count
// across services, and what one publishes the others receive. The launcher answers each
// request on its own store; the services see a RedisStore like any other.

/** The operations a service asks of the shared stand-in: RedisStore's, plus unsubscribing. */
type StandInOperation =
  | "ping"
  | "get"
  | "set"
  | "del"
  | "incrementWindows"
  | "countInWindow"
  | "publish"
  | "subscribe"
  | "unsubscribe";

/** A service's request, as sent over IPC. */
interface StandInRequest {
  readonly kassaRedisStandIn: { id: number; op: StandInOperation; args: unknown[] };
}

/** The launcher's answer to a request, or a message published on a subscribed channel. */
interface StandInAnswer {
  readonly kassaRedisStandIn: {
    id?: number;
    result?: unknown;
    error?: string;
    subscription?: number;
    message?: string;
  };
}

/** What the stand-in needs of an IPC channel: a child process, or `process` in the child. */
export interface StandInChannel {
  send?(message: object): boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
  off(event: "message", listener: (message: unknown) => void): unknown;
}

function isStandIn<T extends StandInRequest | StandInAnswer>(message: unknown): message is T {
  return typeof message === "object" && message !== null && "kassaRedisStandIn" in message;
}

/**
 * Serves `store` to one service over its IPC channel, until the channel goes away (then its
 * subscriptions end). The launcher calls it for every service process it starts.
 */
export function serveRedisStandIn(store: RedisStore, child: StandInChannel): void {
  const subscriptions = new Map<number, Promise<Subscription>>();
  let nextSubscription = 1;
  const answer = (reply: StandInAnswer["kassaRedisStandIn"]) => {
    try {
      child.send?.({ kassaRedisStandIn: reply });
    } catch {
      // The service is gone; its requests need no answer.
    }
  };
  const run = async (op: StandInOperation, args: unknown[]): Promise<unknown> => {
    switch (op) {
      case "subscribe": {
        const subscription = nextSubscription++;
        subscriptions.set(
          subscription,
          store.subscribe(String(args[0]), (message) => answer({ subscription, message })),
        );
        await subscriptions.get(subscription);
        return subscription;
      }
      case "unsubscribe": {
        const subscription = subscriptions.get(Number(args[0]));
        subscriptions.delete(Number(args[0]));
        await (await subscription)?.close();
        return undefined;
      }
      default:
        return (store[op] as (...values: unknown[]) => Promise<unknown>)(...args);
    }
  };
  const onMessage = (message: unknown) => {
    if (!isStandIn<StandInRequest>(message)) return;
    const { id, op, args } = message.kassaRedisStandIn;
    run(op, args).then(
      (result) => answer({ id, result }),
      (error: unknown) => answer({ id, error: error instanceof Error ? error.message : "failed" }),
    );
  };
  child.on("message", onMessage);
  const end = () => {
    child.off("message", onMessage);
    for (const subscription of subscriptions.values()) {
      void subscription.then((s) => s.close()).catch(() => {});
    }
    subscriptions.clear();
  };
  (child as { once?: (event: string, listener: () => void) => unknown }).once?.("exit", end);
}

/**
 * The RedisStore of a service whose launcher keeps the shared stand-in ({@link
 * serveRedisStandIn}): every operation is a request over `channel`, the launcher's store
 * answers. Rejects every call once the channel is gone (the launcher too, so the service is
 * shutting down). Reports `kind: memory`: it is the development stand-in, only shared.
 */
export function createSharedRedisStandIn(channel: StandInChannel = process): RedisStore {
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const listeners = new Map<number, (message: string) => void>();
  const onMessage = (message: unknown) => {
    if (!isStandIn<StandInAnswer>(message)) return;
    const { id, result, error, subscription, message: published } = message.kassaRedisStandIn;
    if (subscription !== undefined && published !== undefined) {
      listeners.get(subscription)?.(published);
      return;
    }
    const call = id === undefined ? undefined : pending.get(id);
    if (!call || id === undefined) return;
    pending.delete(id);
    if (error === undefined) call.resolve(result);
    else call.reject(new Error(`redis stand-in: ${error}`));
  };
  channel.on("message", onMessage);
  const request = <T>(op: StandInOperation, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      if (closed || !channel.send) {
        reject(new Error("redis stand-in: the launcher's channel is closed"));
        return;
      }
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        channel.send({ kassaRedisStandIn: { id, op, args } } satisfies StandInRequest);
      } catch (error) {
        pending.delete(id);
        reject(error as Error);
      }
    });
  return {
    kind: "memory",
    get connectionState() {
      return closed ? "end" : "ready";
    },
    ping: () => request("ping"),
    get: (key) => request("get", key),
    set: (key, value, options) => request("set", key, value, options),
    del: (...keys) => request("del", ...keys),
    incrementWindows: (counters) => request("incrementWindows", counters),
    countInWindow: (counter) => request("countInWindow", counter),
    publish: (topic, message) => request("publish", topic, message),
    async subscribe(topic, onPublished) {
      const subscription = await request<number>("subscribe", topic);
      listeners.set(subscription, onPublished);
      return {
        async close() {
          listeners.delete(subscription);
          await request("unsubscribe", subscription);
        },
      };
    },
    async close() {
      closed = true;
      channel.off("message", onMessage);
      for (const call of pending.values()) call.reject(new Error("redis stand-in: closed"));
      pending.clear();
      listeners.clear();
    },
  };
}
