using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.KeyService.Tenants;

public static class TenantEnablementDecider
{
    /// <summary>T1: more than this many qualifying licences (app-per-user plus enterprise) turn the feature on.</summary>
    public const int LicenceThreshold = 1000;

    /// <summary>The most licences of one kind a tenant can report. Two of them add up without overflow.</summary>
    public const int MaxLicences = 1_000_000_000;

    public static Decision Decide(TenantEnablement? state, EnableTenantEncryption command, DateTimeOffset now)
    {
        if (state is not null) return Decision.Nothing; // already on: a repeat changes nothing
        if (command.AppPerUserLicences is < 0 or > MaxLicences || command.EnterpriseLicences is < 0 or > MaxLicences)
            return Decision.Refuse(Refusal.Invalid($"Licence counts are 0 to {MaxLicences} each."));

        var qualifying = checked(command.AppPerUserLicences + command.EnterpriseLicences);
        return qualifying > LicenceThreshold
            ? Decision.Emit(new TenantEnabled(command.TenantId, command.AppPerUserLicences, command.EnterpriseLicences, qualifying, now))
            : Decision.Refuse(Rules.T1,
                $"The tenant holds {qualifying} qualifying licences (app-per-user and enterprise combined); more than {LicenceThreshold} are required.");
    }
}
