namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>A message whose sender or principal could not be proved. It changes nothing, is never retried, and goes
/// to the queue's error queue with this reason (a command is also answered by <c>CommandRefused</c>, rule AUTHZ).
/// The reason names senders and message types only, never a token.</summary>
public sealed class UntrustedMessageException(string reason) : Exception(reason);
