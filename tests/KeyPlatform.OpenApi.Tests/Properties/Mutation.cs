namespace KeyPlatform.OpenApi.Tests.Properties;

/// <summary>What is done to a valid-looking request to make it invalid (or, for <see cref="None"/>, nothing).</summary>
public enum Mutation
{
    None,
    MalformedJson,
    WrongType,
    MissingField,
    ExtraField,
    HugeString,
    ControlCharacters,
    BoundaryNumber,
    OversizedBody,
    EmptyBody,
    WrongContentType,
    PathValue,
    QueryValue,
    NoToken,
}

/// <summary>One generated request: an operation, a mutation, the caller's role, and indexes that pick a field and a
/// bad value (taken modulo the candidates, so every index is usable).</summary>
public sealed record RequestCase(int Operation, Mutation Mutation, int Role, int Field, int Value)
{
    public static readonly string[] Roles = ["PowerPlatformAdmin", "PlatformOperator", "EnvironmentAdmin"];
}
