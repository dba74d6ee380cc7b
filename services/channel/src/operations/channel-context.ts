import type { Clock } from "@kassa/platform";
import type { ChannelDatabase } from "../db/channel-database.js";
import type { InFlightCalls } from "../in-flight-calls.js";
import type { ChannelRegistry } from "../providers/channel-registry.js";

/** What the channel operations need. */
export interface ChannelContext {
  readonly db: ChannelDatabase;
  readonly clock: Clock;
  /** The configured providers, by channel name. */
  readonly channels: ChannelRegistry;
  /** Charge calls to providers in progress in this process, by charge id. */
  readonly chargeCalls: InFlightCalls;
  /** Refund calls to providers in progress in this process, by refund id. */
  readonly refundCalls: InFlightCalls;
  /** Authorize calls to providers in progress in this process, by authorization id. */
  readonly authorizeCalls: InFlightCalls;
  /** Capture or void calls to providers in progress in this process, by authorization id. */
  readonly captureOrVoidCalls: InFlightCalls;
  /** The longest a provider call may take (`PROVIDER_CALL_TIMEOUT_MS`). */
  readonly providerCallTimeoutMs: number;
  /**
   * How old a PENDING claim the provider has no record of must be to count as abandoned
   * (`CHANNEL_CLAIM_TIMEOUT_MS`); always longer than any provider call.
   */
  readonly claimTimeoutMs: number;
}
