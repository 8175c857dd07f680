using System.Security.Cryptography;
using KeyPlatform.Vault;
using KeyPlatform.Vault.Pkcs11;

// Another process on the SoftHSM token the environment names (SOFTHSM2_CONF, KP_HSM_LIBRARY, KP_HSM_TOKEN_LABEL,
// KP_HSM_USER_PIN), with a vault of its own. The vault tests start it to do one thing and read one line:
//   delete KEY_ID               destroys a tenant key: prints "deleted" or "absent"
//   import TENANT REGION        imports a fresh RSA-2048 key: prints "imported KEY_ID", or the vault's refusal
// A failure prints "failed TYPE: MESSAGE" and exits 1.
var options = new Pkcs11VaultOptions
{
    Library = Environment.GetEnvironmentVariable("KP_HSM_LIBRARY") ?? Pkcs11VaultOptions.SoftHsmLibrary,
    TokenLabel = Environment.GetEnvironmentVariable("KP_HSM_TOKEN_LABEL") ?? "",
    Pin = Environment.GetEnvironmentVariable("KP_HSM_USER_PIN"),
};
try
{
    using var vault = new Pkcs11KeyVault(options);
    switch (args)
    {
        case ["delete", var keyId]:
            Console.WriteLine(await vault.DeleteAsync(keyId) ? "deleted" : "absent");
            return 0;
        case ["import", var tenant, var region]:
            using (var key = RSA.Create(2048))
            {
                var info = await vault.ImportAsync(new VaultKeyName("imported by the peer"), VaultKeyOwner.Tenant(tenant, region), key);
                Console.WriteLine($"imported {info.KeyId}");
            }

            return 0;
        default:
            Console.Error.WriteLine("usage: delete KEY_ID | import TENANT REGION");
            return 2;
    }
}
catch (Exception exception)
{
    Console.WriteLine($"failed {exception.GetType().Name}: {exception.Message}");
    return 1;
}
