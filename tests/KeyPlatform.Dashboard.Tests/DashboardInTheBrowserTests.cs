using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using KeyPlatform.Dashboard.Tests.Browser;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using Xunit.Abstractions;

namespace KeyPlatform.Dashboard.Tests;

/// <summary>S4: the dashboard page served by TenantLock, in headless Chromium, against the three services running as
/// processes on the real PostgreSQL and RabbitMQ. It checks what a person would read on the page while the tenant's
/// keys, environments and lock change through the APIs and the clock moves, without the page being reloaded.
/// Screenshots go to artifacts/screenshots/ at the repository root.</summary>
public sealed class DashboardInTheBrowserTests(ITestOutputHelper output)
{
    private const string Region = "europe";
    private const string Password = "a long passphrase for the dashboard test";

    [Fact(Timeout = 180_000)]
    [Trait("Rule", "S4")]
    public async Task The_dashboard_shows_keys_environments_lock_progress_and_countdowns_and_follows_changes_without_a_reload_S4()
    {
        var watch = Stopwatch.StartNew();
        await using var system = await RunningSystem.StartAsync();
        output.WriteLine($"system started in {watch.Elapsed.TotalSeconds:0.0} s");
        var tenant = $"contoso-{TestInfrastructure.UniqueSuffix()}";
        var environmentId = $"env-{TestInfrastructure.UniqueSuffix()}";
        var keysOperator = system.Client(system.Keys, "*", PlatformRoles.PlatformOperator);
        var environmentsOperator = system.Client(system.Environments, "*", PlatformRoles.PlatformOperator);
        var keysAdmin = system.Client(system.Keys, tenant, PlatformRoles.PowerPlatformAdmin);
        var environmentsAdmin = system.Client(system.Environments, tenant, PlatformRoles.PowerPlatformAdmin);
        var locksAdmin = system.Client(system.Locks, tenant, PlatformRoles.PowerPlatformAdmin);

        // A tenant with the feature on, a first key (activated by itself, K5) and a production environment under it.
        (await keysOperator.PutAsJsonAsync($"/v1/tenants/{tenant}/enablement", new { appPerUserLicences = 800, enterpriseLicences = 400 }))
            .EnsureSuccessStatusCode();
        (await environmentsOperator.PostAsJsonAsync($"/v1/tenants/{tenant}/environments", new
        {
            environmentId, region = Region, name = "Contoso Sales", type = "Production", storage = "SingleStore",
            version = "9.2.21052.00103", createdAt = system.Now,
        })).StatusCode.ShouldBe(HttpStatusCode.Created);
        await GenerateKeyAsync(keysAdmin, tenant, "k1");
        await Eventually.TrueAsync(async () => (await environmentsAdmin.PostAsJsonAsync(
                $"/v1/tenants/{tenant}/environments/{environmentId}/encryption/apply", new { acknowledgeRisk = true })).StatusCode == HttpStatusCode.Accepted,
            "the environment service to know k1 is active and apply it");
        output.WriteLine($"tenant set up at {watch.Elapsed.TotalSeconds:0.0} s");

        var (browser, page) = await HeadlessChromium.LaunchAsync();
        await using var _ = browser;
        await using var __ = page;
        var dashboard = new DashboardScreen(page, system.Locks.BaseAddress);
        try
        {
            // Without a token, with an expired one, with one that may not read: a clear message and the paste box.
            await page.NavigateAsync(dashboard.Url);
            await dashboard.WaitForNoticeAsync("paste a bearer token");
            (await page.EvaluateAsync("!document.getElementById('token-section').hidden")).GetBoolean().ShouldBeTrue();
            await page.NavigateAsync(dashboard.Url + "#token=" + DevTokens.Mint(system.Jwt, "someone", tenant, [PlatformRoles.PowerPlatformAdmin],
                lifetime: TimeSpan.FromMinutes(5), now: DateTimeOffset.UtcNow.AddHours(-1)));
            await dashboard.WaitForNoticeAsync("token expired at");
            (await page.TextAsync("location.href")).ShouldNotContain("token=", Case.Insensitive);
            await page.NavigateAsync(dashboard.Url + "#token=" + system.Token(tenant, [PlatformRoles.EnvironmentAdmin], [environmentId]));
            await dashboard.WaitForNoticeAsync("may not open the dashboard");

            // An operator's view: the tenant, its key and countdowns, its environment under the key.
            await page.NavigateAsync(dashboard.Url + "#token=" + system.Token("*", [PlatformRoles.PlatformOperator]));
            await dashboard.WaitForAsync(() => dashboard.KeyRowAsync("k1"), row => row.Contains("Active"), "k1 Active");
            await dashboard.WaitForAsync(() => dashboard.EnvironmentRowAsync(environmentId),
                row => row.Contains("Contoso Sales") && row.Contains("Production") && row.Contains("Tenant key k1") && row.Contains("Active"),
                "the environment Active under k1");
            (await dashboard.BodyTextAsync()).ShouldContain($"Tenant {tenant}");
            (await dashboard.ValueNextToAsync("keys", "Lock allowed at")).ShouldMatch(@"in 2 d 23 h \d+ min \d+ s");
            (await dashboard.ValueNextToAsync("keys", "Next activation allowed at")).ShouldMatch(@"in 23 h \d+ min \d+ s");
            (await dashboard.TextOfAsync("#lock")).ShouldContain("Never locked.");
            var countdown = await dashboard.ValueNextToAsync("keys", "Lock allowed at");
            await dashboard.WaitForAsync(() => dashboard.ValueNextToAsync("keys", "Lock allowed at"), now => now != countdown, "the countdown to tick");
            await dashboard.ScreenshotAsync("dashboard-1-tenant-with-active-key", output);
            await page.EvaluateAsync("window.keyPlatformSamePage = true");

            // K9: a day later the next activation is allowed; the countdowns follow the server's moved clock.
            system.Advance(TimeSpan.FromHours(25));
            await dashboard.WaitForAsync(() => dashboard.ValueNextToAsync("keys", "Next activation allowed at"), text => text.EndsWith("allowed now"),
                "activation allowed now (K9)");
            (await dashboard.ValueNextToAsync("keys", "Lock allowed at")).ShouldMatch(@"in 1 d 2[23] h \d+ min \d+ s");

            // A second key, activated: the page shows the swap and the environment's data key rewrapped to it (K7, K8).
            var k2 = await GenerateKeyAsync(keysAdmin, tenant, "k2");
            (await keysAdmin.PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Region}/keys/{k2.KeyId}/activate", new { acknowledgeRisk = true }))
                .StatusCode.ShouldBe(HttpStatusCode.Accepted);
            await dashboard.WaitForAsync(() => dashboard.KeyRowAsync("k2"), row => row.Contains("Active"), "k2 Active");
            (await dashboard.KeyRowAsync("k1")).ShouldContain("Available");
            await dashboard.WaitForAsync(() => dashboard.EnvironmentRowAsync(environmentId), row => row.Contains("Tenant key k2"),
                "the environment rewrapped to k2");
            (await dashboard.TextOfAsync("#environments")).ShouldContain("1 of 1 environments");
            (await dashboard.ValueNextToAsync("keys", "Next activation allowed at")).ShouldMatch(@"in (23 h \d+ min \d+ s|1 d 0 h 0 min 0 s)$");

            // L2 over: lock. The lock panel shows the progress and the countdowns before anything irreversible (L5-L7).
            system.Advance(TimeSpan.FromHours(73));
            await dashboard.WaitForAsync(() => dashboard.ValueNextToAsync("keys", "Lock allowed at"), text => text.EndsWith("allowed now"),
                "lock allowed now (L2)");
            (await locksAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/lock", LockForm(k2.Pfx, tenant)))
                .StatusCode.ShouldBe(HttpStatusCode.Accepted);
            await dashboard.WaitForAsync(() => dashboard.ValueNextToAsync("lock", "Keys deleted"), text => Regex.IsMatch(text, @"^[1-9]\d*$"),
                "the keys deleted (L4)");
            await dashboard.WaitForAsync(() => dashboard.KeyRowAsync("k2"), row => row.Contains("Locked"), "k2 Locked");
            (await dashboard.KeyRowAsync("k1")).ShouldContain("Deleted");
            (await dashboard.ValueNextToAsync("lock", "Unlock allowed at")).ShouldMatch(@"in (59 min \d+ s|1 h 0 min 0 s)$");
            (await dashboard.ValueNextToAsync("lock", "Deletion due at")).ShouldMatch(@"in (27 d 23 h \d+ min \d+ s|28 d 0 h 0 min 0 s)$");
            await dashboard.TryWaitForAsync(() => dashboard.ValueNextToAsync("lock", "Phase"), phase => phase == "Locked", TimeSpan.FromSeconds(10));
            var lockPanel = await dashboard.DefinitionsAsync("lock"); // one rendering of the panel, read at once
            if (lockPanel["Phase"] == "Locked")
            {
                lockPanel["Environments locked"].ShouldBe("1 of 1");
                lockPanel["Time limit"].ShouldStartWith("met, completed at");
                await dashboard.WaitForAsync(() => dashboard.EnvironmentRowAsync(environmentId),
                    row => row.Contains("Locked") && Regex.IsMatch(row, @"in (27 d 23 h \d+ min \d+ s|28 d 0 h 0 min 0 s)"),
                    "the environment Locked with its deletion countdown (L7)");
            }
            else
            {
                // The environment service has not locked the environment (yet): the page shows the lock under way,
                // the environment still to lock, and the time limit counting down (L5).
                output.WriteLine("the environment was not locked within 10 s: asserting the lock in progress");
                lockPanel["Phase"].ShouldBe("Locking");
                lockPanel["Environments locked"].ShouldBe($"0 of 1 (not yet: {environmentId})");
                lockPanel["Time limit"].ShouldMatch(@"in (59 min \d+ s|1 h 0 min 0 s)$");
            }
            await dashboard.ScreenshotAsync("dashboard-2-tenant-locked", output);

            // One service down degrades its panel only.
            system.Environments.Kill();
            await dashboard.WaitForAsync(() => dashboard.TextOfAsync("#environments"), text => text.Contains("EnvironmentEncryption is not answering"),
                "the environments panel to say its service is down");
            (await dashboard.KeyRowAsync("k2")).ShouldContain("Locked");
            (await dashboard.ValueNextToAsync("lock", "Phase")).ShouldBeOneOf("Locking", "Locked");
            await dashboard.ScreenshotAsync("dashboard-3-environment-service-down", output);

            // A tenant administrator's link: their own tenant only.
            await page.NavigateAsync(dashboard.Url + "#token=" + system.Token(tenant, [PlatformRoles.PowerPlatformAdmin]));
            await dashboard.WaitForAsync(() => dashboard.TextOfAsync("#identity"), text => text.Contains($"(tenant {tenant}; PowerPlatformAdmin)"),
                "the tenant administrator signed in");
            await dashboard.WaitForAsync(() => dashboard.KeyRowAsync("k2"), row => row.Contains("Locked"), "the admin's view of k2");

            (await page.EvaluateAsync("window.keyPlatformSamePage === true")).GetBoolean().ShouldBeTrue("the page was reloaded");
            page.ScriptErrors.ShouldBeEmpty();
            output.WriteLine($"done in {watch.Elapsed.TotalSeconds:0.0} s");
        }
        catch
        {
            await dashboard.ScreenshotAsync("dashboard-failure", output);
            output.WriteLine("Page text at the failure:\n" + await dashboard.BodyTextAsync());
            output.WriteLine("Script errors: " + string.Join("\n", page.ScriptErrors));
            output.WriteLine("KeyService output:\n" + system.Keys.Output);
            output.WriteLine("EnvironmentEncryption output:\n" + system.Environments.Output);
            output.WriteLine("TenantLock output:\n" + system.Locks.Output);
            throw;
        }
    }

    private sealed record GeneratedKey(string KeyId, byte[] Pfx);

    private static async Task<GeneratedKey> GenerateKeyAsync(HttpClient admin, string tenant, string name)
    {
        var response = await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Region}/keys/generate",
            new { name, password = Password, confirmPassword = Password, acknowledgeRisk = true });
        response.EnsureSuccessStatusCode();
        return new GeneratedKey(response.Headers.GetValues("X-Key-Id").Single(), await response.Content.ReadAsByteArrayAsync());
    }

    private static MultipartFormDataContent LockForm(byte[] pfx, string tenant) => new()
    {
        { new ByteArrayContent(pfx), "file", "key.pfx" },
        { new StringContent(Password), "password" },
        { new StringContent($"LOCK {tenant} {Region}"), "confirmationText" },
        { new StringContent("true"), "acknowledgeRisk" },
    };

    /// <summary>What a person reads on the dashboard: panels by their id, a label's value, a table row by its first cell.</summary>
    private sealed class DashboardScreen(DevToolsPage page, Uri baseAddress)
    {
        public string Url { get; } = new Uri(baseAddress, "/dashboard").ToString();

        public Task<string> BodyTextAsync() => page.TextAsync("document.body.innerText");

        public Task<string> TextOfAsync(string selector) =>
            page.TextAsync($"document.querySelector({Js(selector)})?.innerText ?? ''");

        /// <summary>The value shown next to a label (a dt/dd pair) in a panel.</summary>
        public Task<string> ValueNextToAsync(string panel, string label) => page.TextAsync(
            $"[...document.querySelectorAll('#{panel} dt')].find(dt => dt.textContent.startsWith({Js(label)}))?.nextElementSibling.innerText.trim() ?? ''");

        /// <summary>Every label of a panel with its value, read in one go.</summary>
        public async Task<Dictionary<string, string>> DefinitionsAsync(string panel)
        {
            var pairs = await page.EvaluateAsync(
                $"[...document.querySelectorAll('#{panel} dt')].map(dt => [dt.firstChild.textContent.trim(), dt.nextElementSibling.innerText.trim()])");
            return pairs.EnumerateArray().ToDictionary(pair => pair[0].GetString()!, pair => pair[1].GetString()!);
        }

        public Task<string> KeyRowAsync(string keyName) => page.TextAsync(
            $"[...document.querySelectorAll('#keys tbody tr')].find(tr => tr.cells[0].innerText.split('\\n')[0].trim() === {Js(keyName)})?.innerText ?? ''");

        public Task<string> EnvironmentRowAsync(string environmentId) => page.TextAsync(
            $"[...document.querySelectorAll('#environments tbody tr')].find(tr => tr.cells[0].innerText.includes({Js(environmentId)}))?.innerText ?? ''");

        public Task WaitForNoticeAsync(string text) => page.WaitUntilAsync(
            $"!document.getElementById('notice').hidden && document.getElementById('notice').innerText.toLowerCase().includes({Js(text.ToLowerInvariant())})",
            $"the notice '{text}'", TimeSpan.FromSeconds(15));

        public async Task WaitForAsync(Func<Task<string>> read, Func<string, bool> until, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            var last = "";
            while (DateTime.UtcNow < deadline)
            {
                last = await read();
                if (until(last)) return;
                await Task.Delay(200);
            }
            throw new TimeoutException($"Timed out waiting for {what}; the page shows: '{last}'.");
        }

        public async Task<bool> TryWaitForAsync(Func<Task<string>> read, Func<string, bool> until, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (until(await read())) return true;
                await Task.Delay(200);
            }
            return false;
        }

        public async Task ScreenshotAsync(string name, ITestOutputHelper output)
        {
            var path = Path.Combine(ServiceProcess.RepositoryRoot, "artifacts", "screenshots", name + ".png");
            try
            {
                await page.ScreenshotAsync(path);
                output.WriteLine($"screenshot: {path}");
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
            {
                output.WriteLine($"no screenshot {name}: {e.Message}");
            }
        }

        private static string Js(string value) => JsonSerializer.Serialize(value);
    }
}
