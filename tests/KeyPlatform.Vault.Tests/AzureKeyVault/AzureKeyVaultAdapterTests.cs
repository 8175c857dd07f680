using System.Buffers.Text;
using System.Diagnostics.Tracing;
using System.Security.Cryptography;
using Azure.Core.Diagnostics;
using KeyPlatform.Testing;
using KeyPlatform.Vault.AzureKeyVault;
using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace KeyPlatform.Vault.Tests.AzureKeyVault;

/// <summary>
/// The Azure Key Vault adapter against the documented error contract: challenge, 403, 404, 409, 429 with Retry-After,
/// 503, soft-delete and purge protection. Each test has its own contract server.
/// </summary>
public sealed class AzureKeyVaultAdapterTests : IAsyncLifetime
{
    private static readonly VaultKeyOwner Contoso = VaultKeyOwner.Tenant("contoso", "westeurope");

    private KeyVaultContractServer _server = null!;

    public async Task InitializeAsync() => _server = await KeyVaultContractServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private AzureKeyVaultAdapter Adapter(ContractCredential? credential = null, Action<AzureKeyVaultOptions>? configure = null,
        TimeProvider? time = null, ILogger<AzureKeyVaultAdapter>? logger = null)
    {
        var options = AzureKeyVaultTestOptions.For(_server, credential ?? new ContractCredential());
        options.RetryDelay = TimeSpan.FromMilliseconds(10);
        configure?.Invoke(options);
        return new AzureKeyVaultAdapter(options, time, logger);
    }

    private static async Task<VaultKeyInfo> ImportAsync(IKeyVault vault)
    {
        using var key = TestKeys.Rsa2048();
        return await vault.ImportAsync(new VaultKeyName("contoso key"), Contoso, key);
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_401_challenge_for_the_vaults_tenant_is_followed_once_and_its_token_used_afterwards_V1()
    {
        _server.Tenant = "vault-tenant";
        var credential = new ContractCredential();
        var vault = Adapter(credential);

        var info = await ImportAsync(vault);
        (await vault.ExistsAsync(info.KeyId)).ShouldBeTrue();

        _server.Requests.Count(request => request.Status == 401).ShouldBe(1);
        credential.Requests.ShouldContain(context =>
            context.TenantId == "vault-tenant" && context.Scopes.Single() == "https://vault.azure.net/.default");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task Tenant_keys_are_listed_across_pages_by_nextLink_with_their_versions_and_a_foreign_key_is_not_V1()
    {
        _server.PageSize = 2;
        var vault = Adapter();
        var imported = new List<VaultKeyInfo>();
        for (var i = 0; i < 5; i++)
        {
            imported.Add(await ImportAsync(vault));
        }

        var platformKey = await vault.GetOrCreatePlatformKeyAsync("westeurope");
        var pagesBefore = _server.ListPagesServed;

        var listed = await vault.ListTenantKeysAsync().ToListAsync();

        listed.Select(key => key.KeyId).ShouldBe(imported.Select(key => key.KeyId), ignoreOrder: true);
        listed.ShouldAllBe(key => key.Owner == Contoso);
        listed.ShouldNotContain(key => key.KeyId == platformKey.KeyId);
        // Six names, two to a page: three pages of /keys, then one page of versions for each of the five tenant keys.
        (_server.ListPagesServed - pagesBefore).ShouldBe(3 + 5);
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_next_page_link_to_another_host_is_not_followed_V1()
    {
        var adapter = Adapter();
        await ImportAsync(adapter);
        await ImportAsync(adapter);
        _server.PageSize = 1;
        _server.NextLinkHost = "evil.example.net";

        var refused = await Should.ThrowAsync<AzureKeyVaultRequestException>(() => adapter.ListTenantKeysAsync().ToListAsync().AsTask());

        refused.Message.ShouldContain("another host");
        _server.Requests.ShouldNotContain(request => request.Path.Contains("skiptoken", StringComparison.Ordinal));
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_challenge_naming_another_resource_is_not_followed_and_the_401_is_reported_V1()
    {
        _server.Tenant = "vault-tenant";
        _server.ChallengeResource = "https://attacker.example.net";
        var credential = new ContractCredential();

        var refused = await Should.ThrowAsync<AzureKeyVaultRequestException>(() => Adapter(credential).ExistsAsync(
            $"{_server.VaultUri}keys/any/0123abcd"));

        refused.Status.ShouldBe(401);
        refused.Message.ShouldContain(_server.VaultUri.Host);
        credential.Requests.ShouldAllBe(context => !context.Scopes.Single().Contains("attacker"));
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_403_is_reported_naming_the_vault_and_the_operation_and_is_not_retried_V1()
    {
        _server.WithoutPermission.Add("reader");
        var vault = new ResilientKeyVault(Adapter(new ContractCredential("reader")));

        var refused = await Should.ThrowAsync<AzureKeyVaultRequestException>(() => ImportAsync(vault));

        refused.Status.ShouldBe(403);
        refused.ErrorCode.ShouldBe("Forbidden/AccessDenied");
        refused.Message.ShouldContain(_server.VaultUri.Host);
        refused.Message.ShouldContain("import key");
        _server.Requests.Count.ShouldBe(1);
        _server.StoredKeyCount().ShouldBe(0);
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_429_is_retried_after_the_Retry_After_the_vault_asked_for_V1()
    {
        var vault = Adapter();
        var info = await ImportAsync(vault);
        _server.QueueFault(429, retryAfterSeconds: 1);
        var before = _server.Requests.Count;

        (await vault.ExistsAsync(info.KeyId)).ShouldBeTrue();

        var tries = _server.Requests.Skip(before).ToArray();
        tries.Select(request => request.Status).ShouldBe([429, 200]);
        // The pipeline's own first delay is 10 ms here: the second try waited for the vault's Retry-After.
        (tries[1].At - tries[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.95));
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_503_is_retried_by_the_pipeline_and_a_lasting_429_fails_after_a_bounded_number_of_tries_V1()
    {
        var vault = new ResilientKeyVault(Adapter(configure: options => options.MaxRetries = 2));
        var info = await ImportAsync(vault);
        _server.QueueFault(503);
        _server.QueueFault(503);

        var wrapped = await vault.WrapAsync(info.Reference, RandomNumberGenerator.GetBytes(32));

        wrapped.Algorithm.ShouldBe(WrappingAlgorithm.RsaOaep256);
        for (var i = 0; i < 10; i++)
        {
            _server.QueueFault(429);
        }

        var before = _server.Requests.Count;
        var throttled = await Should.ThrowAsync<AzureKeyVaultRequestException>(() => vault.GetThumbprintAsync(info.KeyId));
        throttled.Status.ShouldBe(429);
        // Three tries by the pipeline (1 + MaxRetries); the resilient decorator above does not retry them again.
        (_server.Requests.Count - before).ShouldBe(3);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task A_Retry_After_longer_than_the_request_timeout_ends_the_request_in_a_timeout_on_the_time_provider_D1()
    {
        var time = new FakeTimeProvider();
        var vault = Adapter(time: time, configure: options => (options.NetworkTimeout, options.RequestTimeout) = (TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5)));
        var info = await ImportAsync(vault);
        _server.QueueFault(429, retryAfterSeconds: 30);
        var before = _server.Requests.Count;

        var asking = vault.ExistsAsync(info.KeyId);
        while (!asking.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(asking, Task.Delay(10));
        }

        var timedOut = await Should.ThrowAsync<TimeoutException>(() => asking);
        timedOut.Message.ShouldContain(_server.VaultUri.Host);
        _server.Requests.Skip(before).Select(request => request.Status).ShouldBe([429]);
    }

    [Fact, Trait("Rule", "D4")]
    public async Task A_delete_whose_answer_was_lost_and_retried_into_a_404_still_purges_the_key_D4()
    {
        var vault = Adapter();
        var info = await ImportAsync(vault);
        _server.LostDeleteAnswers = 1;

        (await vault.DeleteAsync(info.KeyId)).ShouldBeTrue();

        _server.Requests.Where(request => request.Method == "DELETE" && request.Path.StartsWith("/keys/"))
            .Select(request => request.Status).ShouldBe([503, 404]);
        _server.Holds(info.KeyId).ShouldBeFalse();
        (await vault.GetStateAsync(info.KeyId)).ShouldBe(VaultKeyState.Destroyed);
    }

    [Fact, Trait("Rule", "D4")]
    public async Task Deleting_a_soft_deleted_platform_key_by_its_id_does_not_purge_it_D4()
    {
        var platform = await Adapter().GetOrCreatePlatformKeyAsync("westeurope");
        _server.SoftDeleteByOperator("platform-westeurope");

        await Should.ThrowAsync<InvalidOperationException>(() => Adapter().DeleteAsync(platform.KeyId));

        _server.IsSoftDeleted("platform-westeurope").ShouldBeTrue();
        _server.Requests.ShouldNotContain(request => request.Method == "DELETE" && request.Path.StartsWith("/deletedkeys/"));
    }

    [Fact, Trait("Rule", "V1")]
    public async Task Creating_a_region_key_whose_name_is_soft_deleted_reports_the_409_clearly_and_creates_nothing_V1()
    {
        await Adapter().GetOrCreatePlatformKeyAsync("westeurope");
        _server.SoftDeleteByOperator("platform-westeurope");
        var before = _server.StoredKeyCount();

        var refused = await Should.ThrowAsync<AzureKeyVaultRequestException>(() => Adapter().GetOrCreatePlatformKeyAsync("westeurope"));

        refused.Status.ShouldBe(409);
        refused.Message.ShouldContain("deleted but recoverable");
        refused.Message.ShouldContain("platform key of region 'westeurope'");
        _server.StoredKeyCount().ShouldBe(before);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Processes_racing_to_create_a_platform_key_all_use_the_same_one_once_the_race_is_over_D1()
    {
        var first = Adapter();
        var created = await first.GetOrCreatePlatformKeyAsync("westeurope");
        _server.AddRacingVersion("platform-westeurope");

        var afterwards = await Task.WhenAll(new[] { first, Adapter(), Adapter() }.Select(vault => vault.GetOrCreatePlatformKeyAsync("westeurope")));

        afterwards.Distinct().Count().ShouldBe(1);
        afterwards[0].Version.ShouldBe(new string('0', 32));
        // The version the first process used meanwhile still works: a wrap records the version it used.
        var wrapped = await first.WrapAsync(created.Reference, new byte[32]);
        using var unwrapped = await Adapter().UnwrapAsync(created.Reference, wrapped.Ciphertext, wrapped.Algorithm);
        unwrapped.PlaintextKey.ShouldBe(new byte[32]);
    }

    [Fact, Trait("Rule", "D4")]
    public async Task With_purge_protection_a_deleted_key_is_recoverable_not_destroyed_and_unwraps_nothing_D4()
    {
        _server.PurgeProtection = true;
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(logs));
        var vault = Adapter(logger: factory.CreateLogger<AzureKeyVaultAdapter>());
        var info = await ImportAsync(vault);
        var wrapped = await vault.WrapAsync(info.Reference, RandomNumberGenerator.GetBytes(32));

        (await vault.DeleteAsync(info.KeyId)).ShouldBeTrue();

        var state = await vault.GetStateAsync(info.KeyId);
        state.Phase.ShouldBe(VaultKeyPhase.DeletedRecoverable);
        state.IsDestroyed.ShouldBeFalse();
        state.PurgeScheduledAt.ShouldNotBeNull();
        _server.Holds(info.KeyId).ShouldBeTrue();
        _server.Requests.ShouldNotContain(request => request.Method == "DELETE" && request.Path.StartsWith("/deletedkeys/"));
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm));
        (await vault.ExistsAsync(info.KeyId)).ShouldBeFalse();
        (await vault.DeleteAsync(info.KeyId)).ShouldBeFalse();
        logs.Lines.ShouldContain(line => line.Contains("not destroyed"));
    }

    [Fact, Trait("Rule", "D4")]
    public async Task Without_purge_protection_a_deleted_key_is_purged_and_counts_as_destroyed_D4()
    {
        var vault = Adapter();
        var info = await ImportAsync(vault);

        (await vault.DeleteAsync(info.KeyId)).ShouldBeTrue();

        (await vault.GetStateAsync(info.KeyId)).ShouldBe(VaultKeyState.Destroyed);
        _server.Holds(info.KeyId).ShouldBeFalse();
        _server.Requests.ShouldContain(request => request.Method == "DELETE" && request.Path.StartsWith("/deletedkeys/") && request.Status == 204);
    }

    [Fact, Trait("Rule", "D4")]
    public async Task Delete_waits_on_the_time_provider_until_the_deleted_key_shows_then_purges_it_D4()
    {
        _server.DeletedKeyShowsAfterGets = 3;
        var time = new FakeTimeProvider();
        var vault = Adapter(time: time);
        var info = await ImportAsync(vault);

        var deleting = vault.DeleteAsync(info.KeyId);
        while (!deleting.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(deleting, Task.Delay(10));
        }

        (await deleting).ShouldBeTrue();
        _server.Holds(info.KeyId).ShouldBeFalse();
        _server.Requests.Count(request => request.Method == "GET" && request.Path.StartsWith("/deletedkeys/")).ShouldBe(4);
    }

    [Fact, Trait("Rule", "D4")]
    public async Task A_deleted_key_that_never_shows_fails_the_delete_after_the_timeout_and_a_repeated_delete_purges_it_D4()
    {
        _server.DeletedKeyShowsAfterGets = 1_000;
        var time = new FakeTimeProvider();
        var vault = Adapter(time: time, configure: options => options.DeletePollTimeout = TimeSpan.FromSeconds(5));
        var info = await ImportAsync(vault);

        var deleting = vault.DeleteAsync(info.KeyId);
        while (!deleting.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(deleting, Task.Delay(10));
        }

        (await Should.ThrowAsync<InvalidOperationException>(() => deleting)).Message.ShouldContain("deleting it again finishes the purge");
        _server.Holds(info.KeyId).ShouldBeTrue();
        _server.ShowDeletedKeys();
        (await vault.GetStateAsync(info.KeyId)).Phase.ShouldBe(VaultKeyPhase.DeletedRecoverable);

        (await vault.DeleteAsync(info.KeyId)).ShouldBeFalse();

        _server.Holds(info.KeyId).ShouldBeFalse();
    }

    [Fact, Trait("Rule", "V1")]
    public async Task Ids_of_another_vault_or_shape_are_no_keys_of_this_store_V1()
    {
        var vault = Adapter();
        var info = await ImportAsync(vault);
        var foreign = info.KeyId.Replace(_server.VaultUri.Host, "elsewhere.vault.azure.net", StringComparison.Ordinal);

        (await vault.ExistsAsync(foreign)).ShouldBeFalse();
        (await vault.DeleteAsync(foreign)).ShouldBeFalse();
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => vault.WrapAsync(info.Reference with { KeyId = foreign }, new byte[32]));
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => vault.GetThumbprintAsync("key-0193"));
        info.KeyId.ShouldStartWith($"{_server.VaultUri}keys/key-");
        info.KeyId.ShouldEndWith($"/{info.Version}");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task An_api_version_the_vault_does_not_know_is_reported_as_its_400_V1()
    {
        var refused = await Should.ThrowAsync<AzureKeyVaultRequestException>(() =>
            ImportAsync(Adapter(configure: options => options.ApiVersion = "7.9")));

        refused.Status.ShouldBe(400);
        refused.ErrorCode.ShouldBe("BadParameter");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task The_tags_carry_the_owner_so_a_key_retagged_for_another_tenant_is_refused_V1()
    {
        var vault = Adapter();
        var info = await ImportAsync(vault);

        await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            Adapter().WrapAsync(info.Reference with { Owner = VaultKeyOwner.Tenant("fabrikam", "westeurope") }, new byte[32]));
        await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            Adapter().WrapAsync(info.Reference with { Owner = VaultKeyOwner.Tenant("contoso", "northeurope") }, new byte[32]));
    }

    [Fact, Trait("Rule", "V1")]
    public async Task No_token_key_material_or_data_key_reaches_the_logs_of_the_adapter_or_of_Azure_Core_V1()
    {
        var events = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new AzureEventSourceListener((_, message) => events.Enqueue(message), EventLevel.Verbose);
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        _server.Tenant = "vault-tenant";
        var credential = new ContractCredential();
        var vault = new ResilientKeyVault(Adapter(credential, logger: factory.CreateLogger<AzureKeyVaultAdapter>()));
        using var tenantKey = TestKeys.Rsa2048();
        var privateParts = tenantKey.ExportParameters(true);
        var dataKey = RandomNumberGenerator.GetBytes(32);

        var info = await vault.ImportAsync(new VaultKeyName("logged key"), Contoso, tenantKey);
        _server.QueueFault(429, retryAfterSeconds: 0);
        var wrapped = await vault.WrapAsync(info.Reference, dataKey);
        using var unwrapped = await vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm);
        var generated = await vault.GenerateAsync(new VaultKeyName("generated"), Contoso, "pfx password in logs?");
        await vault.DeleteAsync(info.KeyId);

        var everything = string.Join("\n", events.Concat(logs.Lines));
        events.ShouldContain(line => line.Contains("/wrapkey"));
        foreach (var secret in new[]
                 {
                     credential.TokenFor("vault-tenant", "https://vault.azure.net/.default"),
                     credential.TokenFor(KeyVaultContractServer.DefaultTenant, "https://vault.azure.net/.default"),
                     Base64Url.EncodeToString(dataKey), Convert.ToBase64String(dataKey), Convert.ToHexString(dataKey),
                     Base64Url.EncodeToString(wrapped.Ciphertext)[..40], Base64Url.EncodeToString(privateParts.D!)[..40],
                     Base64Url.EncodeToString(privateParts.P!)[..40], "pfx password in logs?", Convert.ToBase64String(generated.Pfx)[..40],
                 })
        {
            everything.ShouldNotContain(secret);
        }
    }
}
