using KeyPlatform.Testing;
using KeyPlatform.Vault.Pkcs11;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Tests.Support;

/// <summary>
/// The SoftHSM2 token of scripts/infra.sh (<c>eval "$(scripts/infra.sh env)"</c> exports <c>SOFTHSM2_CONF</c>,
/// <c>KP_HSM_LIBRARY</c>, <c>KP_HSM_TOKEN_LABEL</c>, <c>KP_HSM_USER_PIN</c>). Without it the tests fail, saying so; they never
/// skip. Tenant keys the tests create are destroyed when the class is done; region keys stay (they are created once per
/// token: the 4096-bit key-exchange key takes seconds).
/// </summary>
public sealed class SoftHsmToken : IAsyncLifetime
{
    public static readonly IReadOnlyCollection<string> Regions = VaultDatabase.Regions;

    private readonly List<Pkcs11KeyVault> _vaults = [];
    private HashSet<string> _labelsBefore = [];

    public SoftHsmToken()
    {
        Options = OptionsFromEnvironment();
        Vault = NewVault();
    }

    public Pkcs11VaultOptions Options { get; }

    public Pkcs11KeyVault Vault { get; }

    /// <summary>Another vault on the token, as another process (or this one after a restart) would have.</summary>
    public Pkcs11KeyVault NewVault(Action<Pkcs11VaultOptions>? change = null)
    {
        var options = OptionsFromEnvironment();
        change?.Invoke(options);
        var vault = new Pkcs11KeyVault(options);
        lock (_vaults)
        {
            _vaults.Add(vault);
        }

        return vault;
    }

    public static Pkcs11VaultOptions OptionsFromEnvironment()
    {
        var token = SoftHsm.FromEnvironment();
        return new Pkcs11VaultOptions { Library = token.Library, TokenLabel = token.TokenLabel, Pin = token.Pin, Regions = Regions };
    }

    /// <summary>The labels of the private-key objects on the token, read on a session of the vault's own connection.</summary>
    public IReadOnlyList<string> PrivateKeyLabels(string? label = null) => Vault.Token.Run(session =>
    {
        var factory = Vault.Token.Factories.ObjectAttributeFactory;
        var template = new List<IObjectAttribute> { factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), factory.Create(CKA.CKA_TOKEN, true) };
        if (label is not null)
        {
            template.Add(factory.Create(CKA.CKA_LABEL, label));
        }

        return session.FindAllObjects(template)
            .Select(handle => session.GetAttributeValue(handle, [CKA.CKA_LABEL])[0].GetValueAsString())
            .ToList();
    });

    /// <summary>Every object on the token with this label, whatever its class.</summary>
    public int ObjectsLabelled(string label) => Vault.Token.Run(session =>
        session.FindAllObjects([Vault.Token.Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label)]).Count);

    public Task InitializeAsync()
    {
        try
        {
            Vault.Connect();
        }
        catch (InvalidOperationException exception)
        {
            throw new InvalidOperationException(
                $"The SoftHSM token is not usable ({exception.Message}). Run scripts/infra.sh up.", exception);
        }

        _labelsBefore = [.. PrivateKeyLabels()];
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        foreach (var label in PrivateKeyLabels().Where(label => label.StartsWith("key-", StringComparison.Ordinal) && !_labelsBefore.Contains(label)))
        {
            Vault.DeleteAsync(label).GetAwaiter().GetResult();
        }

        lock (_vaults)
        {
            // The first one last: disposing a library finalises it for the whole process, and the others reconnect.
            foreach (var vault in Enumerable.Reverse(_vaults))
            {
                vault.Dispose();
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>The tests that use the token run one class at a time: they count its objects.</summary>
[CollectionDefinition(Name)]
public sealed class SoftHsmCollection
{
    public const string Name = "SoftHSM token";
}
