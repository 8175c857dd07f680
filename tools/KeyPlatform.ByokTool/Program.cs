using System.CommandLine;
using KeyPlatform.ByokTool;

var kekOption = new Option<string>("--kek-public")
{
    Description = "The region's key-exchange public key (PEM), as downloaded from the platform.",
    Required = true,
};
var kidOption = new Option<string>("--kid")
{
    Description = "The key-exchange key id shown by the platform.",
    Required = true,
};
var keyOption = new Option<string>("--key")
{
    Description = "The RSA 2048-bit private key to export: PEM (PKCS#8 or PKCS#1) or a .pfx.",
    Required = true,
};
var passwordOption = new Option<string?>("--password")
{
    Description = "Password of the .pfx or encrypted PEM; \"-\" reads it from standard input (keeps it out of the process list).",
};
var outOption = new Option<string>("--out")
{
    Description = "The .byok file to write; it must not exist yet.",
    Required = true,
};

var root = new RootCommand("Wraps a private key for the Key Platform's key-exchange key into a .byok file (CKM_RSA_AES_KEY_WRAP).")
{
    kekOption, kidOption, keyOption, passwordOption, outOption,
};
root.SetAction(parsed =>
{
    var password = parsed.GetValue(passwordOption);
    if (password == "-")
    {
        password = Console.In.ReadLine();
    }

    var request = new ByokExportRequest(
        parsed.GetRequiredValue(kekOption),
        parsed.GetRequiredValue(kidOption),
        parsed.GetRequiredValue(keyOption),
        password,
        parsed.GetRequiredValue(outOption));
    return ByokExport.Run(request, Console.Out, Console.Error);
});

return root.Parse(args).Invoke();
