namespace KeyPlatform.Contracts;

/// <summary>Every command names the tenant it acts in, so refusals and authorization can say so.</summary>
public interface ITenantCommand
{
    string TenantId { get; }
}
