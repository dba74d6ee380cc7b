/** Why a provider notification was refused: who sent it is unproven, or what it says is not understood. */
export type NotificationRefusal = "unauthentic" | "malformed";

/**
 * Thrown by a provider's `verifyNotification`. Its message says what was wrong for the log,
 * and never contains a secret or a signature.
 */
export class NotificationRefused extends Error {
  override readonly name = "NotificationRefused";

  constructor(
    readonly refusal: NotificationRefusal,
    message: string,
  ) {
    super(message);
  }
}
