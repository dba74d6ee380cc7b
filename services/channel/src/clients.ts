/** The services the channel service calls: none. */
export const dependencies = {};
