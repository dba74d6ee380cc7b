/** One Kassa service as the launcher and the operator commands see it. */
export interface PlatformService {
  /** Short name: `gateway`, `order`… */
  readonly name: string;
  /** The port it listens on locally (8080–8085). */
  readonly port: number;
  /** Names of the services it calls. */
  readonly dependencies: readonly string[];
  /** Its proto service's full name, for grpc.health.v1 and `buf curl`. */
  readonly typeName: string;
  /** The package whose `dist/main.js` runs it. */
  readonly packageName: string;
}

/**
 * The six services, gateway first. Written out rather than read from the services' definitions
 * (`serviceDefinitions`), so that the launcher and the operator commands do not load all six
 * services' code into their own process; a test holds the two equal, so ports and wiring
 * cannot drift.
 */
export const platformServices: readonly PlatformService[] = [
  {
    name: "gateway",
    port: 8080,
    dependencies: ["merchant", "order", "channel", "risk", "accounting"],
    typeName: "kassa.gateway.v1.GatewayService",
    packageName: "@kassa/gateway",
  },
  {
    name: "merchant",
    port: 8081,
    dependencies: [],
    typeName: "kassa.merchant.v1.MerchantService",
    packageName: "@kassa/merchant",
  },
  {
    name: "order",
    port: 8082,
    dependencies: [],
    typeName: "kassa.order.v1.OrderService",
    packageName: "@kassa/order",
  },
  {
    name: "channel",
    port: 8083,
    dependencies: [],
    typeName: "kassa.channel.v1.ChannelService",
    packageName: "@kassa/channel",
  },
  {
    name: "risk",
    port: 8084,
    dependencies: [],
    typeName: "kassa.risk.v1.RiskService",
    packageName: "@kassa/risk",
  },
  {
    name: "accounting",
    port: 8085,
    dependencies: ["merchant"],
    typeName: "kassa.accounting.v1.AccountingService",
    packageName: "@kassa/accounting",
  },
];
