namespace KeyPlatform.Authorization.Tests;

/// <summary>What a matrix cell expects: the caller is let through to the rules (<c>ok</c>: a success, or a refusal by a
/// rule other than authorisation), is not authenticated (<c>401</c>), or is authenticated and not allowed (<c>403</c>).</summary>
public static class Outcome
{
    public const string Allowed = "ok";
    public const string Unauthenticated = "401";
    public const string Forbidden = "403";

    public static bool IsValid(string cell) => cell is Allowed or Unauthenticated or Forbidden;
}
