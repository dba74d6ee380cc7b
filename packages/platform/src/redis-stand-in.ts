/**
 * @kassa/platform/redis-stand-in — the development stand-in for Redis, for a launcher that
 * keeps one for all its services ({@link serveRedisStandIn}) without loading the rest of the
 * platform.
 */
export { createMemoryRedisStore } from "./storage/memory-redis-store.js";
export { type StandInChannel, serveRedisStandIn } from "./storage/shared-redis-stand-in.js";
