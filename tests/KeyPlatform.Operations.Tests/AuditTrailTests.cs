using System.Net;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Operations;

namespace KeyPlatform.Operations.Tests;

/// <summary>S4: a tenant's audit trail, who did what, when, from which service, with which correlation ids; only
/// that tenant's events, and only for its admins and operators.</summary>
[Collection(OperationsCollection.Name)]
public sealed class AuditTrailTests(OperationsFixture fixture)
{
    [Fact]
    [Trait("Rule", "S4")]
    public async Task A_tenants_audit_trail_is_every_event_of_its_streams_with_actor_and_ids_and_nothing_of_another_tenant_S4()
    {
        var story = await fixture.SharedStoryAsync();
        // A tenant whose id starts with the first one's: its streams must not leak into the first one's trail.
        var neighbour = story.Tenant + "x";
        await fixture.EnableAsync(neighbour, $"enable-{neighbour}");

        var trail = await fixture.AdminOf(story.Tenant).OkAsync<Page<AuditEntry>>($"/v1/tenants/{story.Tenant}/audit");

        trail.Next.ShouldBeNull();
        trail.Items.Select(e => e.Stream).Distinct().ShouldBe([OperationsFixture.TenantStream(story.Tenant), story.Ring], ignoreOrder: true);
        trail.Items.Select(e => e.Sequence).ShouldBeInOrder(SortDirection.Ascending);
        trail.Items.Select(e => (e.ClrType, e.Actor, e.CorrelationId)).ShouldBe(
        [
            ("TenantEnabled", "user-PlatformOperator@*", $"enable-{story.Tenant}"),
            ("KeyAdded", $"user-PowerPlatformAdmin@{story.Tenant}", $"upload-first-{story.Tenant}"),
            ("KeyInstallationStarted", $"user-PowerPlatformAdmin@{story.Tenant}", $"upload-first-{story.Tenant}"),
            ("KeyActivated", "service:key-service", story.First),
            ("KeyAdded", $"user-PowerPlatformAdmin@{story.Tenant}", $"upload-second-{story.Tenant}"),
            ("KeyInstallationStarted", $"user-PowerPlatformAdmin@{story.Tenant}", $"activate-{story.Tenant}"),
            ("KeyActivated", "service:key-service", story.Second),
        ]);
        trail.Items.ShouldAllBe(e => e.Service == "key-service" && e.CausationId != null && e.CausationId == e.CommandId);
        trail.Items[0].ActorTenant.ShouldBe("*");
        trail.Items[1].ActorTenant.ShouldBe(story.Tenant);
        trail.Items[1].ActorRoles.ShouldBe(PlatformRoles.PowerPlatformAdmin);

        var neighbours = await fixture.Operator().OkAsync<Page<AuditEntry>>($"/v1/tenants/{neighbour}/audit");
        neighbours.Items.Single().Stream.ShouldBe(OperationsFixture.TenantStream(neighbour));
    }

    [Fact]
    [Trait("Rule", "S4")]
    public async Task The_audit_trail_pages_in_the_order_events_were_recorded_S4()
    {
        var story = await fixture.SharedStoryAsync();
        var op = fixture.Operator();
        var all = (await op.OkAsync<Page<AuditEntry>>($"/v1/tenants/{story.Tenant}/audit")).Items;

        var pages = new List<AuditEntry>();
        string? after = null;
        do
        {
            var page = await op.OkAsync<Page<AuditEntry>>($"/v1/tenants/{story.Tenant}/audit?limit=3{(after is null ? "" : $"&after={after}")}");
            page.Items.Count.ShouldBeLessThanOrEqualTo(3);
            pages.AddRange(page.Items);
            after = page.Next;
        } while (after is not null);

        pages.Select(e => e.Sequence).ShouldBe(all.Select(e => e.Sequence));
        all.Count.ShouldBe(7);
    }

    [Fact]
    [Trait("Rule", "S4")]
    public async Task Only_the_tenants_admins_and_operators_read_its_audit_trail_S4()
    {
        var story = await fixture.SharedStoryAsync();
        var path = $"/v1/tenants/{story.Tenant}/audit";

        (await fixture.Keys.ClientFor("another-tenant", PlatformRoles.PowerPlatformAdmin).GetAsync(path))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var environmentAdmin = fixture.Keys.ClientFor(story.Tenant, [PlatformRoles.EnvironmentAdmin], ["env-1"]);
        (await (await environmentAdmin.GetAsync(path)).ProblemAsync(HttpStatusCode.Forbidden)).Rule.ShouldBe(Rules.Authorization);
        (await fixture.Keys.ClientFor(story.Tenant, PlatformRoles.Dynamics365Admin).GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await fixture.Operator().GetAsync(path + "?limit=0")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }
}
