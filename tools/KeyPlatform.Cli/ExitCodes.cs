namespace KeyPlatform.Cli;

/// <summary>What scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The service answered no: nothing by that name (e.g. no stream 'x'), not allowed, conflict.</summary>
    public const int Refused = 1;

    /// <summary>The command line is wrong: unknown option, bad time or version, missing argument.</summary>
    public const int BadInput = 2;

    /// <summary>The service could not be reached at its URL.</summary>
    public const int Unreachable = 3;
}

/// <summary>Ends a command with an exit code and a message for the operator.</summary>
public sealed class CliFailure(int exitCode, string message, System.Net.HttpStatusCode? status = null, string? detail = null)
    : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The HTTP status of the service's refusal, if it was one.</summary>
    public System.Net.HttpStatusCode? Status { get; } = status;

    /// <summary>The refusal's ProblemDetails <c>detail</c>, if any.</summary>
    public string? Detail { get; } = detail;
}
