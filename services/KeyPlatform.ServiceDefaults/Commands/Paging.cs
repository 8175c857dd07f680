namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>The limits of every page-numbered list (<c>?page=</c>, <c>?pageSize=</c>), declared on its parameters as
/// <c>[Range(1, Paging.MaxPage)]</c> and <c>[Range(1, Paging.MaxPageSize)]</c>, so they are enforced before the
/// endpoint runs and published in the OpenAPI document. The largest offset, (MaxPage - 1) * MaxPageSize, fits an int.</summary>
public static class Paging
{
    public const int MaxPage = 1_000_000;
    public const int MaxPageSize = 500;
    public const int DefaultPageSize = 50;

    /// <summary>The page asked for, 1 and <see cref="DefaultPageSize"/> when not given.</summary>
    public static (int Page, int PageSize) Requested(int? page, int? pageSize) => (page ?? 1, pageSize ?? DefaultPageSize);

    /// <summary>The rows before page <paramref name="page"/> (1-based).</summary>
    public static int Offset(int page, int pageSize) => checked((page - 1) * pageSize);
}
