import { accountingService } from "@kassa/accounting";
import { channelService } from "@kassa/channel";
import { gatewayService } from "@kassa/gateway";
import { merchantService } from "@kassa/merchant";
import { orderService } from "@kassa/order";
import type { AnyServiceDefinition } from "@kassa/platform";
import { riskService } from "@kassa/risk";

/** The six services' own definitions, gateway first. */
export const serviceDefinitions: readonly AnyServiceDefinition[] = [
  gatewayService,
  merchantService,
  orderService,
  channelService,
  riskService,
  accountingService,
];

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

/** The six services, read from their definitions so ports and wiring cannot drift. */
export const platformServices: readonly PlatformService[] = serviceDefinitions.map(
  (definition) => ({
    name: definition.name,
    port: definition.defaultPort,
    dependencies: Object.keys(definition.dependencies),
    typeName: definition.service.typeName,
    packageName: `@kassa/${definition.name}`,
  }),
);
