using System.Text;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Persistence;

namespace KeyPlatform.Backbone.Tests.Messaging;

/// <summary>The pure part of the ordering guard (decision 0029): reading the relay's headers as the broker hands them over,
/// and which versions apply.</summary>
public sealed class SourceStreamVersionTests
{
    [Theory]
    [Trait("Rule", "S2")]
    [InlineData(7L)]
    [InlineData(7)]
    [InlineData("7")]
    public void The_version_is_read_whatever_number_type_or_text_the_broker_hands_over(object version) =>
        SourceStreamVersion.Of("environment:env-1", version).ShouldBe(new SourceStreamVersion("environment:env-1", 7));

    [Fact]
    [Trait("Rule", "S2")]
    public void A_stream_key_that_arrives_as_bytes_is_read_as_utf8() =>
        SourceStreamVersion.Of(Encoding.UTF8.GetBytes("tenant-key:t1:europe"), 3L).ShouldBe(new SourceStreamVersion("tenant-key:t1:europe", 3));

    [Theory]
    [Trait("Rule", "S2")]
    [InlineData(null, 3L)]
    [InlineData("", 3L)]
    [InlineData("environment:env-1", null)]
    [InlineData("environment:env-1", 0L)]
    [InlineData("environment:env-1", -2L)]
    [InlineData("environment:env-1", "three")]
    [InlineData("environment:env-1", " 3")]
    public void A_message_without_a_readable_stream_and_version_has_no_source(object? stream, object? version) =>
        SourceStreamVersion.Of(stream, version).ShouldBeNull();

    [Theory]
    [Trait("Rule", "S2")]
    [InlineData(null, 1L, true)]
    [InlineData(4L, 5L, true)]
    [InlineData(5L, 5L, false)]
    [InlineData(7L, 3L, false)]
    public void Only_an_event_newer_than_the_applied_version_applies(long? applied, long incoming, bool applies) =>
        AppliedSourceVersion.Applies(applied, incoming).ShouldBe(applies);
}
