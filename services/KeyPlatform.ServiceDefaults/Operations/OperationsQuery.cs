namespace KeyPlatform.ServiceDefaults.Operations;

/// <summary>The limits of the operator endpoints' query values (<c>?limit=</c>, <c>?after=</c>, <c>?fromVersion=</c>,
/// <c>?toVersion=</c>, <c>?version=</c>, <c>?at=</c>), declared on their parameters as <c>[Range]</c> and
/// <c>[RegularExpression]</c> attributes naming these constants, so validation enforces them before the endpoint runs
/// and the OpenAPI document publishes them. The CLI checks its options against the same constants.</summary>
public static class OperationsQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary><see cref="long.MaxValue"/>, the largest stream version and event sequence number, written as
    /// <see cref="System.ComponentModel.DataAnnotations.RangeAttribute"/> takes the limits of a <c>long</c>.</summary>
    public const string MaxPosition = "9223372036854775807";

    public const string VersionMessage = "{0} must be a whole number of at least {1}.";

    public const string TimeMessage = "{0} is not a time: expected " + IsoTime.Expected + ".";

    /// <summary>Stream keys and their parts (<c>{key}</c>, <c>?prefix=</c>, <c>?tenant=</c>, <c>?after=</c>): printable text
    /// (<see cref="KeyPlatform.ServiceDefaults.Commands.DisplayText.Pattern"/>: no NUL reaches PostgreSQL), at most this long.</summary>
    public const int MaxStreamKeyLength = 300;
}
