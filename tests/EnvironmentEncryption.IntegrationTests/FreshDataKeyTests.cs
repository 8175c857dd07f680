using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Backups.BackingUp;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.DataKeys.Releasing;
using KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>V3: applying the tenant key gives the environment a fresh data key under it and re-encrypts its records; no data
/// key that protects data under the tenant key is wrapped by the platform key anywhere, and what was written before stays
/// readable (D3, D5).</summary>
[Collection(PlatformCollection.Name)]
public sealed class FreshDataKeyTests(PlatformFixture platform)
{
    private IDocumentStore Store => platform.Environments.Services.GetRequiredService<IDocumentStore>();

    private async Task<ReleasedDataKey> ReleaseOkAsync(string tenant, string environment) =>
        await (await platform.ReleaseAsync(tenant, environment)).ReadAsync<ReleasedDataKey>();

    private async Task<string> BackUpAsync(string tenant, string environment, string label)
    {
        var response = await platform.Admin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/environments/{environment}/backups", new { label });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.ReadAsync<BackupCreated>()).BackupId;
    }

    private async Task<List<EnvironmentRecord>> RecordsAsync(string environment)
    {
        await using var session = Store.QuerySession();
        return [.. await session.Query<EnvironmentRecord>().Where(r => r.EnvironmentId == environment).ToListAsync()];
    }

    /// <summary>Whether a session of the test database waits for <paramref name="environment"/>'s record lock (a record
    /// write held by a move, or a move held by a write); a waiter on any other lock does not count.</summary>
    private async Task<bool> WaitingForTheRecordLockAsync(string environment) => await WaitersForTheRecordLockAsync(environment) > 0;

    /// <summary>How many sessions of the test database wait for <paramref name="environment"/>'s record lock.</summary>
    private async Task<int> WaitersForTheRecordLockAsync(string environment)
    {
        var key = RecordWriteLock.LockKey(Store.Options.DatabaseSchemaName, environment);
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        // A bigint advisory lock shows its high half as classid, its low half as objid, and objsubid 1.
        await using var command = new NpgsqlCommand(
            "select count(*) from pg_locks where locktype = 'advisory' and not granted and objsubid = 1 " +
            "and classid::bigint = $1 and objid::bigint = $2 and database = (select oid from pg_database where datname = current_database())",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (key >> 32) & 0xFFFFFFFFL });
        command.Parameters.Add(new NpgsqlParameter { Value = key & 0xFFFFFFFFL });
        return Convert.ToInt32(await command.ExecuteScalarAsync());
    }

    /// <summary>The race a fresh data key opens: a write that chose the old data key must not commit after the move to the
    /// new one, or its record would no longer open. A write waits while a move of the environment's records holds them, then
    /// encrypts under what the environment has when it commits; a write to another environment does not wait.</summary>
    [Fact]
    [Trait("Rule", "V3")]
    [Trait("Rule", "D2")]
    public async Task A_record_write_waits_while_the_environments_records_move_to_a_fresh_data_key_and_another_environment_does_not_V3()
    {
        var tenant = await platform.TenantAsync();
        var environment = await platform.RegisterAsync(tenant);
        var other = await platform.RegisterAsync(tenant);
        await platform.WriteOkAsync(tenant, environment, "warm", "the data key is cached");
        await platform.WriteOkAsync(tenant, other, "warm", "the data key is cached");

        Task<HttpResponseMessage> held;
        await using (var move = await Store.OpenWriteSessionAsync(CancellationToken.None))
        {
            await RecordWriteLock.HoldForMoveAsync(move, [environment], CancellationToken.None);
            (await WaitingForTheRecordLockAsync(environment)).ShouldBeFalse();

            held = platform.WriteAsync(tenant, environment, "during-the-move", "written while the records move"u8.ToArray());
            await Eventually.TrueAsync(() => WaitingForTheRecordLockAsync(environment), "the write to wait for the move");
            held.IsCompleted.ShouldBeFalse();
            await platform.WriteOkAsync(tenant, other, "unrelated", "another environment's records do not move");
        }

        (await held).StatusCode.ShouldBe(HttpStatusCode.NoContent, await (await held).Content.ReadAsStringAsync());
        (await platform.ReadOkAsync(tenant, environment, "during-the-move")).ShouldBe("written while the records move");
    }

    /// <summary>Two E2 completions of the same two environments of two tenants, each group's records held in turn and the
    /// groups in crossing orders (a message delivered again, in another batch): each holds one environment and waits for the
    /// other's, and PostgreSQL ends one with a deadlock (40P01). This is what <see cref="DataKeyRewrapper.CompleteApplicationsAsync"/>
    /// no longer does (next test).</summary>
    [Fact]
    [Trait("Rule", "V3")]
    public async Task Completions_that_hold_each_groups_records_in_turn_in_crossing_orders_deadlock_on_PostgreSQL_V3()
    {
        // One group, then the other, as the consumer did before.
        var failures = await CompleteTwiceInCrossingOrdersAsync(async (rewrapper, session, first, second) =>
        {
            await rewrapper.RewrapAsync(session, first.TenantId, first.Region, null, null, 0, [first.EnvironmentId], CancellationToken.None);
            await rewrapper.RewrapAsync(session, second.TenantId, second.Region, null, null, 0, [second.EnvironmentId], CancellationToken.None);
        });

        failures.Count(IsDeadlock).ShouldBe(1, string.Join("\n", failures.Select(f => f.GetType().Name)));
    }

    /// <summary>The same two completions as one call each: every record lock of the batch in one order, so the second waits for
    /// the first, finds the environments done, and neither fails.</summary>
    [Fact]
    [Trait("Rule", "V3")]
    public async Task Completions_of_several_tenants_hold_every_record_lock_in_one_order_and_do_not_deadlock_V3()
    {
        // The two completions run concurrently, so which one reaches the lambda first is not known: each environment's
        // ledger is found by the environment, not by the order of the calls.
        var completed = new System.Collections.Concurrent.ConcurrentDictionary<string, CompleteTenantKeyApplication>();
        var failures = await CompleteTwiceInCrossingOrdersAsync((rewrapper, session, first, second) =>
        {
            completed[first.EnvironmentId] = first;
            completed[second.EnvironmentId] = second;
            return rewrapper.CompleteApplicationsAsync(session, [first, second], CancellationToken.None);
        });

        failures.ShouldBeEmpty();
        completed.Count.ShouldBe(2);
        foreach (var (i, application) in Ledgers.Select((environment, i) => (i, completed[environment])))
        {
            await platform.WaitForStatusAsync(application.TenantId, application.EnvironmentId,
                s => s is { State: EnvironmentState.Active, Protection: EnvironmentProtection.TenantKey }, "Active under the tenant key");
            (await platform.ReadOkAsync(application.TenantId, application.EnvironmentId, "ledger")).ShouldBe($"ledger {i}");
        }
    }

    /// <summary>The environments <see cref="CompleteTwiceInCrossingOrdersAsync"/> made, in order: the i-th holds "ledger i".</summary>
    private List<string> Ledgers { get; } = [];

    private static bool IsDeadlock(Exception e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected } || (e.InnerException is { } inner && IsDeadlock(inner));

    /// <summary>Two environments of two tenants left Updating (the bus stopped, so no completion runs), a record write in flight
    /// on each, two completions started in crossing orders (first a then b, and b then a) that wait for those writes; then the
    /// writes end at once. Returns what the two completions threw. The fixture gets a fresh host afterwards.</summary>
    private async Task<List<Exception>> CompleteTwiceInCrossingOrdersAsync(
        Func<DataKeyRewrapper, IDocumentSession, CompleteTenantKeyApplication, CompleteTenantKeyApplication, Task> complete)
    {
        var applications = new List<CompleteTenantKeyApplication>();
        for (var i = 0; i < 2; i++)
        {
            var tenant = await platform.TenantAsync();
            await platform.FirstKeyAsync(tenant);
            var environment = await platform.RegisterAsync(tenant);
            await platform.WriteOkAsync(tenant, environment, "ledger", $"ledger {i}");
            applications.Add(new CompleteTenantKeyApplication(tenant, PlatformFixture.Region, environment));
            Ledgers.Add(environment);
        }

        var stopped = platform.Environments;
        try
        {
            using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                await stopped.Services.GetRequiredService<MassTransit.IBusControl>().StopAsync(stopping.Token);
            foreach (var application in applications)
            {
                (await platform.ApplyAsync(application.TenantId, application.EnvironmentId)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
                await platform.WaitForStatusAsync(application.TenantId, application.EnvironmentId, s => s.State == EnvironmentState.Updating, "Updating");
            }

            var rewrapper = stopped.Services.GetRequiredService<DataKeyRewrapper>();
            var writes = new List<IDocumentSession>();
            Task[] completions;
            try
            {
                foreach (var application in applications)
                {
                    var write = await Store.OpenWriteSessionAsync(CancellationToken.None);
                    writes.Add(write);
                    await RecordWriteLock.HoldForWriteAsync(write, application.EnvironmentId, CancellationToken.None);
                }

                completions = [Completion(applications[0], applications[1]), Completion(applications[1], applications[0])];
                // Both waiting: on one environment each (held in turn), or both on the first in the order (held at once).
                await Eventually.TrueAsync(async () =>
                        await WaitersForTheRecordLockAsync(applications[0].EnvironmentId) + await WaitersForTheRecordLockAsync(applications[1].EnvironmentId) == 2,
                    "both completions to wait for the writes");
            }
            finally
            {
                foreach (var write in writes) await write.DisposeAsync();
            }

            var failures = new List<Exception>();
            foreach (var completion in completions)
            {
                try
                {
                    await completion;
                }
                catch (Exception e)
                {
                    failures.Add(e);
                }
            }
            return failures;

            async Task Completion(CompleteTenantKeyApplication first, CompleteTenantKeyApplication second)
            {
                await Task.Yield();
                await using var session = await Store.OpenWriteSessionAsync(CancellationToken.None);
                await complete(rewrapper, session, first, second);
                await session.SaveChangesAsync();
            }
        }
        finally
        {
            platform.ReplaceEnvironments(platform.StartEnvironments());
            await stopped.DisposeAsync(); // its bus is stopped already
        }
    }

    /// <summary>A failure no retry cures (here every wrap under the tenant key times out) must not leave the environment
    /// Updating with its completion in the error queue: the last attempt decides the apply failed, and the environment is
    /// back online under its old data key with its records readable.</summary>
    [Fact]
    [Trait("Rule", "V3")]
    public async Task An_apply_whose_completion_keeps_failing_after_every_retry_ends_failed_and_the_environment_is_back_online_V3()
    {
        var tenant = await platform.TenantAsync();
        var key = await platform.FirstKeyAsync(tenant);
        var environment = await platform.RegisterAsync(tenant);
        await platform.WriteOkAsync(tenant, environment, "kept", "still under the platform key");
        var before = await ReleaseOkAsync(tenant, environment);

        using (platform.Vault.FailWrapsUnder(key.Facts.VaultKeyId))
        {
            (await platform.ApplyAsync(tenant, environment)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
            await platform.WaitForStatusAsync(tenant, environment,
                s => s is { State: EnvironmentState.Active, Protection: EnvironmentProtection.PlatformKey }, "back online under the platform key");
        }

        await using (var session = Store.QuerySession())
        {
            var events = await session.Events.FetchStreamAsync(TenantEnvironment.StreamKey(environment));
            events.Select(e => e.Data).OfType<TenantKeyApplicationFailed>().ShouldHaveSingleItem().Reason.ShouldContain("TimeoutException");
            events.ShouldNotContain(e => e.Data is DataKeyReplaced);
        }
        (await ReleaseOkAsync(tenant, environment)).DataKeyId.ShouldBe(before.DataKeyId);
        (await platform.ReadOkAsync(tenant, environment, "kept")).ShouldBe("still under the platform key");
    }

    /// <summary>A failure a retry cures still ends in the fresh data key, not in a failed apply.</summary>
    [Fact]
    [Trait("Rule", "V3")]
    public async Task An_apply_whose_completion_fails_once_is_retried_and_ends_under_a_fresh_data_key_V3()
    {
        var tenant = await platform.TenantAsync();
        var key = await platform.FirstKeyAsync(tenant);
        var environment = await platform.RegisterAsync(tenant);
        await platform.WriteOkAsync(tenant, environment, "moved", "re-encrypted after one retry");

        using (platform.Vault.FailWrapsUnder(key.Facts.VaultKeyId, times: 1))
            await platform.ApplyAndWaitAsync(tenant, environment);

        await using (var session = Store.QuerySession())
        {
            var events = await session.Events.FetchStreamAsync(TenantEnvironment.StreamKey(environment));
            events.ShouldNotContain(e => e.Data is TenantKeyApplicationFailed);
            events.Select(e => e.Data).OfType<DataKeyReplaced>().ShouldHaveSingleItem();
        }
        (await platform.ReadOkAsync(tenant, environment, "moved")).ShouldBe("re-encrypted after one retry");
    }

    /// <summary>A reset replaces the data key and deletes the records: a write that chose the old data key and has not
    /// committed yet must not commit its record after the reset (under a data key the environment no longer has, it would
    /// never open again). The reset waits for it and erases it with the rest.</summary>
    [Fact]
    [Trait("Rule", "V3")]
    [Trait("Rule", "E5")]
    public async Task A_reset_waits_for_a_record_write_in_flight_and_erases_its_record_so_none_stays_under_the_old_data_key_V3_E5()
    {
        var tenant = await platform.TenantAsync();
        var environment = await platform.RegisterAsync(tenant);
        await platform.WriteOkAsync(tenant, environment, "before", "erased by the reset");
        var old = await ReleaseOkAsync(tenant, environment);

        Task<HttpResponseMessage> reset;
        await using (var write = await Store.OpenWriteSessionAsync(CancellationToken.None))
        {
            // A record write that has chosen the old data key and not committed yet.
            await RecordWriteLock.HoldForWriteAsync(write, environment, CancellationToken.None);
            reset = platform.Admin(tenant).PostAsync($"/v1/tenants/{tenant}/environments/{environment}/reset", null);
            await Eventually.TrueAsync(() => WaitingForTheRecordLockAsync(environment), "the reset to wait for the write");
            reset.IsCompleted.ShouldBeFalse();

            var (nonce, ciphertext, tag) = RecordCipher.Encrypt(Convert.FromBase64String(old.DataKey), environment, "in-flight",
                RecordKind.Data, "under the old data key"u8);
            write.Store(new EnvironmentRecord
            {
                Id = EnvironmentRecord.DocumentId(environment, "in-flight"),
                EnvironmentId = environment,
                RecordId = "in-flight",
                Kind = RecordKind.Data,
                Size = 22,
                DataKeyId = old.DataKeyId,
                Nonce = nonce,
                Ciphertext = ciphertext,
                Tag = tag,
                WrittenAt = DateTimeOffset.UtcNow,
            });
            await write.SaveChangesAsync();
        }

        (await reset).StatusCode.ShouldBe(HttpStatusCode.NoContent, await (await reset).Content.ReadAsStringAsync());
        (await RecordsAsync(environment)).ShouldBeEmpty();
        (await ReleaseOkAsync(tenant, environment)).DataKeyId.ShouldNotBe(old.DataKeyId);
        await platform.WriteOkAsync(tenant, environment, "after", "under the new data key");
        (await platform.ReadOkAsync(tenant, environment, "after")).ShouldBe("under the new data key");
    }

    /// <summary>A batch {A, B} whose A was committed by a concurrent delivery fails as a whole (B rolled back with it):
    /// the save says so, so the batch is decided again (A drops out) and B is not acknowledged undone.</summary>
    [Fact]
    [Trait("Rule", "V3")]
    public async Task A_save_that_meets_a_message_handled_concurrently_asks_to_decide_again_and_gives_up_after_its_attempts_V3()
    {
        var handled = Guid.NewGuid();
        await using (var concurrent = await Store.OpenWriteSessionAsync(CancellationToken.None))
        {
            concurrent.MarkHandled("test-batch", handled, DateTimeOffset.UtcNow);
            await concurrent.SaveChangesAsync();
        }

        await using (var batch = await Store.OpenWriteSessionAsync(CancellationToken.None))
        {
            batch.MarkHandled("test-batch", handled, DateTimeOffset.UtcNow);
            batch.MarkHandled("test-batch", Guid.NewGuid(), DateTimeOffset.UtcNow);
            (await DataKeyRewrapper.TrySaveAsync(batch, 1, 5, NullLogger.Instance, CancellationToken.None)).ShouldBeFalse();
        }
        await using (var last = await Store.OpenWriteSessionAsync(CancellationToken.None))
        {
            last.MarkHandled("test-batch", handled, DateTimeOffset.UtcNow);
            await Should.ThrowAsync<JasperFx.DocumentAlreadyExistsException>(() =>
                DataKeyRewrapper.TrySaveAsync(last, 5, 5, NullLogger.Instance, CancellationToken.None));
        }
    }

    /// <summary>A read that loaded the environment before its records moved to a fresh data key, and the record after,
    /// holds a record under another data key than the one it unwrapped: a 409 to read again, never a 500 (X1).</summary>
    [Fact]
    [Trait("Rule", "V3")]
    [Trait("Rule", "X1")]
    public async Task A_record_under_another_data_key_than_the_environments_is_a_409_to_read_again_not_a_500_V3_X1()
    {
        var tenant = await platform.TenantAsync();
        var environment = await platform.RegisterAsync(tenant);
        await platform.WriteOkAsync(tenant, environment, "moved", "as if moved meanwhile");
        await using (var session = Store.LightweightSession())
        {
            var record = await session.LoadAsync<EnvironmentRecord>(EnvironmentRecord.DocumentId(environment, "moved"));
            record!.DataKeyId = "a-fresh-data-key";
            session.Store(record);
            await session.SaveChangesAsync();
        }

        var response = await platform.ReadAsync(tenant, environment, "moved");

        await response.ShouldBeRefusedAsync(HttpStatusCode.Conflict, Rules.D2);
    }

    [Fact]
    [Trait("Rule", "V3")]
    public async Task After_apply_and_lock_no_wrapped_key_in_the_event_store_the_documents_or_the_backups_unwraps_with_the_platform_key_to_the_current_data_key_V3_E2_D4()
    {
        var tenant = await platform.TenantAsync();
        var key = await platform.FirstKeyAsync(tenant);
        var environment = await platform.RegisterAsync(tenant);
        await platform.WriteOkAsync(tenant, environment, "before-1", "written under the platform key");
        await BackUpAsync(tenant, environment, "before the apply");
        var before = await ReleaseOkAsync(tenant, environment);
        before.Protection.ShouldBe(EnvironmentProtection.PlatformKey);

        await platform.ApplyAndWaitAsync(tenant, environment);
        await platform.WriteOkAsync(tenant, environment, "after-1", "written under the tenant key");
        (await platform.ReadOkAsync(tenant, environment, "before-1")).ShouldBe("written under the platform key");
        await BackUpAsync(tenant, environment, "after the apply");
        var current = await ReleaseOkAsync(tenant, environment);
        current.Protection.ShouldBe(EnvironmentProtection.TenantKey);
        current.DataKeyId.ShouldNotBe(before.DataKeyId);
        current.DataKey.ShouldNotBe(before.DataKey);

        // The current records are all encrypted with the current data key, and none with the old one.
        var currentKey = Convert.FromBase64String(current.DataKey);
        var oldKey = Convert.FromBase64String(before.DataKey);
        var records = await RecordsAsync(environment);
        records.Select(r => r.RecordId).Order(StringComparer.Ordinal).ShouldBe(["after-1", "before-1"]);
        foreach (var record in records)
        {
            record.DataKeyId.ShouldBe(current.DataKeyId);
            RecordCipher.Decrypt(currentKey, environment, record.RecordId, record.Kind, record.Nonce, record.Ciphertext, record.Tag).ShouldNotBeEmpty();
            Should.Throw<CryptographicException>(() =>
                RecordCipher.Decrypt(oldKey, environment, record.RecordId, record.Kind, record.Nonce, record.Ciphertext, record.Tag));
        }
        TenantEnvironment state;
        await using (var session = Store.QuerySession())
            state = (await session.LoadAsync<TenantEnvironment>(TenantEnvironment.StreamKey(environment)))!;

        // The lock, and L4 as the lock does it: the tenant key leaves the vault.
        await using (var locked = await BusProbe<EnvironmentLocked>.StartAsync(platform.Bus))
        {
            await platform.SendAsync(new LockEnvironment(tenant, PlatformFixture.Region, environment, $"tenant-lock:{tenant}:europe:1"));
            await locked.WaitForAsync(l => l.EnvironmentId == environment, "EnvironmentLocked");
        }
        (await platform.Vault.Inner.DeleteAsync(key.Facts.VaultKeyId)).ShouldBeTrue();

        // Every RSA-2048 ciphertext anywhere in this service's event store and document tables (backups included), tried
        // with the platform key of the region.
        var wrapped = await WrappedKeyCandidatesAsync();
        wrapped.ShouldContain(c => c.SequenceEqual(state.DataKey!.Ciphertext), "the scan finds the current tenant-wrapped data key");
        var platformKey = await platform.Environments.Services.GetRequiredService<DataKeyVault>().PlatformKeyAsync(PlatformFixture.Region, CancellationToken.None);
        var opened = new List<byte[]>();
        foreach (var ciphertext in wrapped)
        foreach (var algorithm in new[] { WrappingAlgorithm.RsaOaep256, WrappingAlgorithm.RsaOaep })
        {
            try
            {
                using var unwrapped = await platform.Vault.Inner.UnwrapAsync(platformKey.Reference, ciphertext, algorithm);
                opened.Add(unwrapped.PlaintextKey.ToArray());
            }
            catch (CryptographicException)
            {
                // not wrapped by the platform key
            }
        }

        opened.ShouldContain(k => k.SequenceEqual(oldKey), "the scan finds the old platform-wrapped data key (event store and the backup before the apply)");
        opened.ShouldNotContain(k => k.SequenceEqual(currentKey), "V3: no copy of the current data key is wrapped by the platform key");
        var facts = await platform.FactsAsync(tenant);
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => platform.Environments.Services.GetRequiredService<DataKeyVault>()
            .UnwrapAsync(state.DataKey!, tenant, facts, PlatformFixture.Region, CancellationToken.None)); // D4: nothing else opens it
    }

    [Fact]
    [Trait("Rule", "D3")]
    public async Task Records_and_a_backup_from_before_the_apply_read_back_after_it_under_the_fresh_data_key_D3_D5_V3()
    {
        var tenant = await platform.TenantAsync();
        await platform.FirstKeyAsync(tenant);
        var environment = await platform.RegisterAsync(tenant);
        await platform.WriteOkAsync(tenant, environment, "contract-1", "signed 2026-01-12");
        await platform.WriteOkAsync(tenant, environment, "contract-2", "signed 2026-02-03");
        var backup = await BackUpAsync(tenant, environment, "before the apply");
        var writtenAt = (await RecordsAsync(environment)).ToDictionary(r => r.RecordId, r => r.WrittenAt);

        await platform.ApplyAndWaitAsync(tenant, environment);

        (await platform.ReadOkAsync(tenant, environment, "contract-1")).ShouldBe("signed 2026-01-12");
        (await platform.ReadOkAsync(tenant, environment, "contract-2")).ShouldBe("signed 2026-02-03");
        (await RecordsAsync(environment)).ToDictionary(r => r.RecordId, r => r.WrittenAt).ShouldBe(writtenAt); // re-encrypted, not rewritten
        await using (var session = Store.QuerySession())
        {
            var events = await session.Events.FetchStreamAsync(TenantEnvironment.StreamKey(environment));
            var replaced = events.Select(e => e.Data).OfType<DataKeyReplaced>().ShouldHaveSingleItem();
            replaced.RecordsReencrypted.ShouldBe(2);
            replaced.DataKey.Protection.ShouldBe(EnvironmentProtection.TenantKey);
            events.ShouldNotContain(e => e.Data is DataKeyRewrapped);
        }

        // D5: the backup carries the old data key, still wrapped by the platform key; restoring it re-encrypts under the fresh one.
        await platform.WriteOkAsync(tenant, environment, "contract-1", "amended after the apply");
        (await platform.Admin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/environments/{environment}/restore", new { backupId = backup }))
            .StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await platform.ReadOkAsync(tenant, environment, "contract-1")).ShouldBe("signed 2026-01-12");
        (await platform.ReadOkAsync(tenant, environment, "contract-2")).ShouldBe("signed 2026-02-03");
    }

    [Fact]
    [Trait("Rule", "V3")]
    public async Task The_cache_does_not_serve_the_old_data_key_after_the_apply_and_its_bytes_are_zeroed_V3_D2()
    {
        var tenant = await platform.TenantAsync();
        await platform.FirstKeyAsync(tenant);
        var environment = await platform.RegisterAsync(tenant);
        var before = await ReleaseOkAsync(tenant, environment);
        platform.Cache.Contains(environment).ShouldBeTrue();
        var cachedBytes = platform.Cache.BufferOf(environment)!;

        await platform.ApplyAndWaitAsync(tenant, environment);

        cachedBytes.ShouldAllBe(b => b == 0);
        var after = await ReleaseOkAsync(tenant, environment);
        after.FromCache.ShouldBeFalse();
        after.DataKeyId.ShouldNotBe(before.DataKeyId);
        after.DataKey.ShouldNotBe(before.DataKey);
        (await ReleaseOkAsync(tenant, environment)).DataKey.ShouldBe(after.DataKey);
    }

    [Fact]
    [Trait("Rule", "V3")]
    public async Task Returning_to_the_platform_key_takes_a_fresh_data_key_so_the_tenant_protected_one_is_never_platform_wrapped_V3_E3()
    {
        var (tenant, _, environment) = await platform.EnvironmentUnderTenantKeyAsync();
        var underTenant = await ReleaseOkAsync(tenant, environment);

        var response = await platform.EnvironmentAdmin(tenant, environment).PostJsonAsync(
            $"/v1/tenants/{tenant}/environments/{environment}/encryption/return", new { acknowledgeRisk = true });
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        await platform.WaitForStatusAsync(tenant, environment,
            s => s is { State: EnvironmentState.Active, Protection: EnvironmentProtection.PlatformKey }, "Active under the platform key");

        (await platform.ReadOkAsync(tenant, environment, "invoice-7")).ShouldBe("EUR 1,200.00 due 2026-04-01");
        var underPlatform = await ReleaseOkAsync(tenant, environment);
        underPlatform.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        underPlatform.DataKeyId.ShouldNotBe(underTenant.DataKeyId);
        underPlatform.DataKey.ShouldNotBe(underTenant.DataKey);
        await using var session = Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(TenantEnvironment.StreamKey(environment));
        events.Select(e => e.Data).OfType<DataKeyReplaced>().Select(r => r.Reason)
            .ShouldBe([RewrapReason.TenantKeyApplied, RewrapReason.ReturnedToPlatformKey]);
        events.Select(e => e.Data).OfType<DataKeyRewrapped>().ShouldBeEmpty();
    }

    /// <summary>Every base64 string of 256 bytes (an RSA-2048 ciphertext) in the event data and the documents of this
    /// service's schema, distinct.</summary>
    private async Task<List<byte[]>> WrappedKeyCandidatesAsync()
    {
        var schema = Store.Options.DatabaseSchemaName;
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using var connection = Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        var tables = new List<string> { $"{Store.Options.Events.DatabaseSchemaName}.mt_events" };
        await using (var list = new NpgsqlCommand(
                         "select table_name from information_schema.tables where table_schema = @schema and table_name like 'mt_doc_%'", connection))
        {
            list.Parameters.AddWithValue("schema", schema);
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync()) tables.Add($"{schema}.{reader.GetString(0)}");
        }
        tables.Count.ShouldBeGreaterThan(3);
        tables.ShouldContain(t => t.EndsWith("mt_doc_environmentbackup", StringComparison.Ordinal));

        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"select data::text from {table}", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                foreach (var text in Strings(JsonNode.Parse(reader.GetString(0))))
                    if (text.Length == 344 && TryBase64(text) is { Length: 256 } bytes) found.TryAdd(text, bytes);
        }
        return [.. found.Values];
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    private static byte[]? TryBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : null;
    }
}
