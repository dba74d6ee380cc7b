import type { Clock } from "@kassa/platform";
import type { OrderDatabase } from "../db/order-database.js";

/** What the order operations need: the service's database and clock. */
export interface OrderContext {
  readonly db: OrderDatabase;
  readonly clock: Clock;
}
