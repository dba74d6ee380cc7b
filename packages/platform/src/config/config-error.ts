/** One environment variable that is missing or has a bad value. */
export interface ConfigProblem {
  /** The environment variable, e.g. `PORT`. */
  variable: string;
  /** What is wrong with it. Never contains the value itself: values may be secrets. */
  message: string;
}

/**
 * Thrown by {@link loadConfig} when the environment does not satisfy a service's schema.
 * Its message names every offending variable so an operator can fix them in one pass.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join("; ")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}
