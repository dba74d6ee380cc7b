/** The services the order service calls: none; it is called by the gateway. */
export const dependencies = {};
