/** The accounting service's own environment variables: none beyond the platform's. */
export const accountingEnv = {};
