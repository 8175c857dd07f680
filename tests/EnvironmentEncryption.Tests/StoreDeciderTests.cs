using KeyPlatform.Contracts;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;

namespace EnvironmentEncryption.Tests;

public sealed class StoreDeciderTests
{
    private const long MB = 1024 * 1024;

    [Theory]
    [Trait("Rule", "T4")]
    [InlineData("9.2.21052.00103", RecordKind.File, 1, null)]
    [InlineData("9.2.21052.00103", RecordKind.Image, 128 * MB - 1, null)]
    [InlineData("9.2.21052.00103", RecordKind.Image, 128 * MB, "below 128 MB")]
    [InlineData("9.3.0.0", RecordKind.File, 200 * MB, "below 128 MB")]
    [InlineData("9.2.21052.00102", RecordKind.File, 1, "9.2.21052.00103")]
    [InlineData("9.1.99999.99999", RecordKind.Image, 1, "9.2.21052.00103")]
    [InlineData("9.1.0.0", RecordKind.Data, 1, null)]
    public void With_the_feature_on_files_and_images_need_version_9_2_21052_00103_and_below_128_MB_T4(string version, RecordKind kind, long size,
        string? refusedBecause)
    {
        var state = An.State(An.UnderPlatformKey(version: version))!;

        var refusal = EnvironmentDecider.CanStore(state, An.Facts(), kind, size);

        if (refusedBecause is null) refusal.ShouldBeNull();
        else refusal.ShouldBeRefusedBy(Rules.T4, refusedBecause);
    }

    [Fact]
    [Trait("Rule", "T4")]
    public void Without_the_feature_the_environment_keeps_files_and_images_as_before_T4()
    {
        var state = An.State(An.UnderPlatformKey(version: "9.0.0.0"))!;

        EnvironmentDecider.CanStore(state, An.FactsWithoutFeature(), RecordKind.File, 500 * MB).ShouldBeNull();
        EnvironmentDecider.CanStore(state, null, RecordKind.Image, 1).ShouldBeNull();
    }
}
