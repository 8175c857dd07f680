using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Auth;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>Who sent a consumed message, as <see cref="SenderVerificationFilter{T}"/> proved it: the sender the broker
/// vouched for, and the actor it acts as (a platform service's user from a validated token, or our own service).
/// Carried as a payload of the consume context; consumers read it through <see cref="BusCommandContext"/>.</summary>
public sealed record MessagePrincipal(Sender Sender, Actor Actor);
