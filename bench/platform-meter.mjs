// What a running `kassa start` spends, read from outside it: Postgres commits of its database
// (pg_stat_database), Redis commands (INFO commandstats of a Redis server it has to itself), CPU
// of its processes and of the Postgres backends and Redis server serving it (/proc).
import { spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { freePort, testPostgresAdminUrl } from "@kassa/platform/testing";
import postgres from "postgres";
import { processCpuMs, processTree } from "./process-tree.mjs";

/**
 * A redis-server of the benchmark's own (no persistence, loopback, a free port): its command
 * counts are the platform's alone, whatever else uses the machine's shared Redis meanwhile.
 */
export async function startPrivateRedis() {
  const port = await freePort();
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  for (let attempt = 0; ; attempt++) {
    try {
      await redisCommand(port, ["PING"]);
      break;
    } catch (error) {
      if (attempt > 50) throw error;
      await delay(100);
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: server.pid,
    async stop() {
      server.kill("SIGTERM");
      await once(server, "exit");
    },
  };
}

/** Sends one command over a fresh RESP connection and resolves with its bulk or simple reply. */
async function redisCommand(port, args) {
  const socket = net.connect(port, "127.0.0.1");
  socket.write(`*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`);
  let reply = Buffer.alloc(0);
  try {
    for await (const chunk of socket) {
      reply = Buffer.concat([reply, chunk]);
      const text = reply.toString("latin1");
      if (text.startsWith("+") && text.endsWith("\r\n")) return text.slice(1, -2);
      if (text.startsWith("-")) throw new Error(`redis: ${text.trim()}`);
      const header = text.indexOf("\r\n");
      if (text.startsWith("$") && header > 0) {
        const length = Number(text.slice(1, header));
        if (reply.length >= header + 2 + length + 2) {
          return reply.subarray(header + 2, header + 2 + length).toString("utf8");
        }
      }
    }
    throw new Error("redis: connection closed before a reply");
  } finally {
    socket.destroy();
  }
}

/**
 * Reads the platform's counters: `snapshot()` now, `drainOutbox()` waits until what the last
 * payments set off has been done, `settle()` until Postgres has counted it too, and
 * `difference(a, b)` is what was spent in between, the meter's own Redis calls taken off.
 *
 * Postgres: every service gets the same DATABASE_URL (one database, a schema per service), so
 * `xact_commit` of that one database counts every service's commits. It is read over a
 * connection to the `postgres` database, so the reads are not counted themselves.
 */
export async function createPlatformMeter({ kassaPid, databaseName, redis, gatewayUrl }) {
  const admin = postgres(testPostgresAdminUrl, { max: 1, onnotice: () => {} });

  const postgresSide = async () => {
    await admin`select pg_stat_clear_snapshot()`;
    const [row] = await admin`
      select xact_commit::bigint as commits from pg_stat_database where datname = ${databaseName}`;
    const backends = await admin`
      select pid, application_name from pg_stat_activity where datname = ${databaseName}`;
    return { commits: Number(row.commits), backends };
  };

  const redisCalls = async () => {
    const stats = await redisCommand(redis.port, ["INFO", "commandstats"]);
    const byCommand = {};
    for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      byCommand[match[1]] = Number(match[2]);
    }
    return byCommand;
  };

  const metric = async (pattern) => {
    const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
    return text
      .split("\n")
      .filter((line) => pattern.test(line))
      .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
  };

  return {
    async snapshot() {
      const { commits, backends } = await postgresSide();
      const backendCpu = new Map(backends.map(({ pid }) => [pid, processCpuMs([pid])]));
      return {
        at: performance.now(),
        commits,
        backends,
        backendCpu,
        redisCpuMs: processCpuMs([redis.pid]),
        kassaCpuMs: processCpuMs(processTree(kassaPid)),
        redis: await redisCalls(),
        outboxDeliveries: await metric(/^kassa_outbox_deliveries_total\{/),
      };
    },

    /**
     * Waits for the outbox backlog gauge to read 0: the relay has delivered what the payments
     * queued (the gauge is refreshed about once a second, so this takes at least a second).
     */
    async drainOutbox() {
      for (let waited = 0; waited < 60; waited++) {
        await delay(1000);
        if ((await metric(/^kassa_outbox_backlog /)) === 0) return;
      }
    },

    /**
     * Drains the outbox, then waits `flushSeconds` more, until Postgres has counted the
     * commits: a Postgres 15 backend sends its statistics at most once a second while busy, and
     * one that went idle with some unsent sends them up to 10 s later (PGSTAT_IDLE_INTERVAL).
     * CPU and Redis counts need no such wait.
     */
    async settle(flushSeconds) {
      await this.drainOutbox();
      await delay(flushSeconds * 1000);
    },

    /** What was spent between two snapshots, and how long that was. */
    difference(a, b) {
      const redisByCommand = {};
      for (const [name, calls] of Object.entries(b.redis)) {
        redisByCommand[name] = calls - (a.redis[name] ?? 0);
      }
      redisByCommand.info -= 1; // snapshot a's own INFO commandstats, counted once it ran
      let backendCpuMs = 0;
      for (const [pid, cpu] of b.backendCpu) backendCpuMs += cpu - (a.backendCpu.get(pid) ?? 0);
      return {
        seconds: (b.at - a.at) / 1000,
        commits: b.commits - a.commits,
        redisCommands: Object.values(redisByCommand).reduce((sum, n) => sum + n, 0),
        redisByCommand,
        kassaCpuMs: b.kassaCpuMs - a.kassaCpuMs,
        serversCpuMs: backendCpuMs + (b.redisCpuMs - a.redisCpuMs),
        outboxDeliveries: b.outboxDeliveries - a.outboxDeliveries,
      };
    },

    close: () => admin.end(),
  };
}
