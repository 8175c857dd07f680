using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KeyPlatform.ServiceDefaults.OpenApi;

/// <summary>
/// The limits a request record declares on its positional parameters (<c>[StringLength]</c>, <c>[MinLength]</c>,
/// <c>[MaxLength]</c>, <c>[RegularExpression]</c>, <c>[Range]</c>) are the ones validation enforces, and they belong in
/// the document. ASP.NET Core's schema generator reads attributes from the property only, and the compiler leaves a
/// positional record's attributes on the constructor parameter (dotnet/aspnetcore#57486), so without this the document
/// would publish a body with no limits at all. An attribute on the property itself, if any, keeps precedence.
/// </summary>
public sealed class RecordParameterLimits : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonPropertyInfo?.AssociatedParameter?.AttributeProvider is not { } parameter) return Task.CompletedTask;
        foreach (var attribute in parameter.GetCustomAttributes(typeof(ValidationAttribute), inherit: true).Cast<ValidationAttribute>())
            Apply(schema, attribute);
        return Task.CompletedTask;
    }

    private static void Apply(OpenApiSchema schema, ValidationAttribute attribute)
    {
        switch (attribute)
        {
            case StringLengthAttribute length:
                schema.MaxLength ??= length.MaximumLength;
                if (length.MinimumLength > 0) schema.MinLength ??= length.MinimumLength;
                break;
            case MaxLengthAttribute max:
                schema.MaxLength ??= max.Length;
                break;
            case MinLengthAttribute min:
                schema.MinLength ??= min.Length;
                break;
            case RegularExpressionAttribute expression:
                schema.Pattern ??= expression.Pattern;
                break;
            case RangeAttribute range:
                schema.Minimum ??= Invariant(range.Minimum);
                schema.Maximum ??= Invariant(range.Maximum);
                break;
        }
    }

    private static string? Invariant(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture);
}
