import { accountingService } from "@kassa/accounting";
import { channelService } from "@kassa/channel";
import { gatewayService } from "@kassa/gateway";
import { merchantService } from "@kassa/merchant";
import { orderService } from "@kassa/order";
import type { AnyServiceDefinition } from "@kassa/platform";
import { riskService } from "@kassa/risk";

/**
 * The six services' own definitions, gateway first. Importing them loads all six services'
 * code: `kassa migrate` and the tests do, `kassa start` (which runs each as a process of its
 * own) reads {@link platformServices} instead.
 */
export const serviceDefinitions: readonly AnyServiceDefinition[] = [
  gatewayService,
  merchantService,
  orderService,
  channelService,
  riskService,
  accountingService,
];
