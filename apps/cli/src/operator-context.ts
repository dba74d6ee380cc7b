import type { DescService } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { adminToken } from "./admin-token.js";
import { operatorClient } from "./operator-client.js";
import { serviceEndpoint } from "./service-endpoints.js";

/** What every operator command runs with; main.ts passes the real process's. */
export interface OperatorContext {
  /** Where services and the admin token are found (`KASSA_*`). */
  readonly env: NodeJS.ProcessEnv;
  /** Repository root: the admin token is read from `<root>/.data/tokens.json` by default. */
  readonly rootDir: string;
  /** Where results go; errors are thrown as CliError and printed by main.ts. */
  readonly out: NodeJS.WritableStream;
}

/**
 * A client of the named service (`merchant`, `gateway`…) presenting the admin token; throws
 * the "no admin token" CliError before any call when there is none.
 */
export async function adminClient<S extends DescService>(
  context: OperatorContext,
  service: S,
  name: string,
): Promise<Client<S>> {
  const endpoint = serviceEndpoint(context.env, name);
  return operatorClient(service, endpoint, await adminToken(context.env, context.rootDir));
}
