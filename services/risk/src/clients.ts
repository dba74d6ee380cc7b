/** The services the risk service calls: none. */
export const dependencies = {};
