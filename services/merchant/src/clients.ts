/** The services the merchant service calls: none. */
export const dependencies = {};
