namespace KeyPlatform.OpenApi.Tests;

/// <summary>
/// The checked-in documents (<c>docs/openapi/{service}.json</c>, the ones the client is generated from) are the ones
/// the services serve. After a change to an endpoint, refresh them with
/// <c>KEYPLATFORM_UPDATE_OPENAPI=1 dotnet test tests/KeyPlatform.OpenApi.Tests --filter DocumentDrift</c> and commit
/// the diff.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class DocumentDriftTests(PlatformServices platform)
{
    public const string UpdateVariable = "KEYPLATFORM_UPDATE_OPENAPI";

    public static TheoryData<string> Services => new(PlatformServices.Names);

    public static string CheckedInPath(string service) =>
        Path.Combine(KeyPlatform.Testing.TestInfrastructure.RepositoryRoot(), "docs", "openapi", $"{service}.json");

    [Theory]
    [MemberData(nameof(Services))]
    [Trait("Rule", "X1")]
    public async Task Checked_in_document_is_the_served_one(string service)
    {
        var served = Normalised(await platform.ServedDocumentAsync(service));
        var path = CheckedInPath(service);

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, served);
            return;
        }

        var checkedIn = File.Exists(path) ? Normalised(await File.ReadAllTextAsync(path)) : "";
        if (checkedIn == served) return;
        var line = FirstDifferentLine(checkedIn, served);
        Assert.Fail($"docs/openapi/{service}.json differs from the document {service} serves (first at line {line.Number}: " +
                    $"checked in '{line.CheckedIn}', served '{line.Served}'). Refresh it with {UpdateVariable}=1 dotnet test " +
                    "tests/KeyPlatform.OpenApi.Tests --filter DocumentDrift, and commit the change (the client is generated from it).");
    }

    private static string Normalised(string document) => document.ReplaceLineEndings("\n").TrimEnd() + "\n";

    private static (int Number, string CheckedIn, string Served) FirstDifferentLine(string checkedIn, string served)
    {
        var a = checkedIn.Split('\n');
        var b = served.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var left = i < a.Length ? a[i] : "<end>";
            var right = i < b.Length ? b[i] : "<end>";
            if (left != right) return (i + 1, left.Trim(), right.Trim());
        }

        return (0, "", "");
    }
}
