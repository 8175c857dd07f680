namespace KeyPlatform.Vault.Tests.Support;

/// <summary>The openssl-made key files under Fixtures/ (see Fixtures/README.md).</summary>
internal static class Fixtures
{
    /// <summary>The password of every protected fixture file. A test key, not a secret.</summary>
    public const string Password = "test-password-K2";

    /// <summary>The kid the openssl-made .byok fixture was wrapped for.</summary>
    public const string OpensslKid = "kek-openssl-fixture";

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static string Text(string name) => File.ReadAllText(PathOf(name));
}
