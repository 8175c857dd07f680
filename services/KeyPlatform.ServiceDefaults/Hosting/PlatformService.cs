using System.Text.Json.Serialization;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Deadlines;
using KeyPlatform.ServiceDefaults.Faults;
using KeyPlatform.ServiceDefaults.Identifiers;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.OpenApi;
using KeyPlatform.ServiceDefaults.Operations;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.ServiceDefaults.Protection;
using KeyPlatform.ServiceDefaults.Telemetry;
using KeyPlatform.ServiceDefaults.Time;
using Marten;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace KeyPlatform.ServiceDefaults.Hosting;

/// <summary>What makes one service different from the others; everything else is the same backbone.</summary>
public sealed class PlatformServiceOptions
{
    public required string ServiceName { get; init; }

    /// <summary>Which sender of the bus this service is (its broker user, and the messages it may send).</summary>
    public required Sender Sender { get; init; }

    /// <summary>The service's own PostgreSQL schema (overridable by <c>Marten:Schema</c>, for tests).</summary>
    public required string Schema { get; init; }

    /// <summary>The queue its commands and subscribed events arrive on.</summary>
    public required string Queue { get; init; }

    public Action<StoreOptions>? ConfigureMarten { get; init; }
    public Action<IBusRegistrationConfigurator>? ConfigureConsumers { get; init; }

    /// <summary>The aggregates of the service's streams, by stream-key prefix, for the operator endpoints (S3, S4).</summary>
    public AggregateRegistry Aggregates { get; init; } = new();
}

/// <summary>Configuration section <c>RabbitMq</c>.</summary>
public sealed class RabbitMqOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public ushort Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    public string Username { get; set; } = "guest";
    public string Password { get; set; } = "guest";
    /// <summary>Retry intervals for a failing consumer before its message goes to the error queue.</summary>
    public TimeSpan[] RetryIntervals { get; set; } =
        [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)];
}

public static class PlatformServiceExtensions
{
    /// <summary>The backbone every service stands on: clock, auth, Marten with the relay and deadlines,
    /// MassTransit on RabbitMQ, telemetry, health, resilience, ProblemDetails, OpenAPI.</summary>
    public static WebApplicationBuilder AddPlatformService(this WebApplicationBuilder builder, PlatformServiceOptions options)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.AddSingleton(new ServiceIdentity(options.ServiceName, options.Sender));
        services.TryAddSingleton(PlatformRegions.FromConfiguration(configuration));
        services.TryAddSingleton<PlatformIds>();
        services.TryAddSingleton(ClockControl.CreateTimeProvider(configuration, builder.Environment));
        services.AddPlatformAuthentication(configuration, builder.Environment);
        services.AddPlatformAbuseLimits(configuration);
        services.AddKeyMaterialTransport(configuration, builder.Environment);
        // X1: client errors are ProblemDetails with a rule; binding failures are thrown to the exception handler in
        // every environment (not only Development), so they are answered the same way everywhere.
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = ClientErrorProblems.Customize);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        // Enum values by name only: "type": 99 is as unknown as "type": "Spaceship".
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false)));
        services.AddPlatformOpenApi();
        services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());

        var schema = configuration["Marten:Schema"] ?? options.Schema;
        services.TryAddSingleton<IIntegrationEventMap, NoIntegrationEvents>();
        var marten = services.AddPlatformMarten(configuration, schema, options.ConfigureMarten);
        if (configuration.GetValue("Messaging:RelayEnabled", true))
        {
            services.AddOptions<IntegrationEventRelayOptions>().Bind(configuration.GetSection(IntegrationEventRelayOptions.Section));
            services.AddSingleton<IntegrationEventRelayHealth>();
            services.AddHealthChecks().AddCheck<IntegrationEventRelayHealth>(IntegrationEventRelayHealth.Name, tags: ["ready"]);
            marten.AddSubscriptionWithServices<IntegrationEventRelay>(ServiceLifetime.Singleton);
        }
        services.AddSingleton<StreamCommands>();
        services.AddPlatformOperations(options.Aggregates);

        services.AddSingleton(sp =>
        {
            var registry = new DeadlineHandlerRegistry();
            foreach (var register in sp.GetRequiredService<IOptions<DeadlineHandlerOptions>>().Value.Registrations)
                register(registry);
            return registry;
        });
        services.AddSingleton<DeadlineDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<DeadlineDispatcher>());
        // Handled messages, remembered answers and fired deadlines are kept only for Messaging:Retention (decision 0025).
        services.AddSingleton(RetentionOptions.FromConfiguration(configuration));
        services.AddSingleton<Retention>();
        services.AddHostedService(sp => sp.GetRequiredService<Retention>());
        // Fault drills (Testing:Faults:*): named points where a Development or Testing process kills itself.
        services.AddSingleton<FaultPoints>();
        services.AddHostedService(sp => sp.GetRequiredService<FaultPoints>());

        AddBus(services, configuration, options);
        AddTelemetry(services, options.ServiceName);

        services.AddHealthChecks()
            .AddNpgSql(configuration.PostgresConnectionString(), name: "postgresql", tags: ["ready"]);
        return builder;
    }

    private static void AddBus(IServiceCollection services, IConfiguration configuration, PlatformServiceOptions options)
    {
        var rabbit = configuration.GetSection("RabbitMq").Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        services.AddSingleton(configuration.GetSection(BrokerSenders.Section).Get<BrokerSenders>() ?? new BrokerSenders());
        services.AddSingleton<BusTokenValidator>();
        services.AddSingleton(new MessageRetries(rabbit.RetryIntervals.Length));
        services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            // No call out of the platform: MassTransit would report usage telemetry to its vendor (decision 0010).
            bus.DisableUsageTelemetry();
            options.ConfigureConsumers?.Invoke(bus);
            var batchItems = BatchItemVerification.BatchItemTypes(services);
            bus.UsingRabbitMq((context, rabbitMq) =>
            {
                rabbitMq.Host(rabbit.Host, rabbit.Port, rabbit.VirtualHost, h =>
                {
                    h.Username(rabbit.Username);
                    h.Password(rabbit.Password);
                });
                // X2: every message leaves with our broker user id and is let in only from an allowed sender.
                rabbitMq.StampSender(rabbit.Username);
                rabbitMq.UseMessageRetry(retry =>
                {
                    retry.Ignore<UntrustedMessageException>();
                    retry.Intervals(rabbit.RetryIntervals);
                });
                rabbitMq.UseConsumeFilter(typeof(SenderVerificationFilter<>), context);
                rabbitMq.ReceiveEndpoint(options.Queue, endpoint =>
                {
                    endpoint.ConfigureConsumers(context);
                    endpoint.VerifySendersOfBatchItems(batchItems, context);
                    endpoint.UseRestampingMoves(rabbitMq.SendTopology, rabbit.Username);
                });
            });
        });
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
    }

    private static void AddTelemetry(IServiceCollection services, string serviceName)
    {
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                .AddSource(PlatformTelemetry.Name, "MassTransit", "Marten")
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(PlatformTelemetry.Name, "MassTransit", "Marten")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation());
        // Standard OTEL_EXPORTER_OTLP_* variables configure the exporter; without an endpoint nothing is exported.
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
            telemetry.UseOtlpExporter();
    }

    /// <summary>Health (anonymous), OpenAPI document, auth middleware, the X3 check of ids in routes, the form of an
    /// Idempotency-Key.</summary>
    public static WebApplication UsePlatformDefaults(this WebApplication app)
    {
        app.UseKeyMaterialTransport();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UsePlatformAbuseLimits();
        app.UseCanonicalRouteIds();
        app.UseIdempotencyKeys();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
            {
                Predicate = check => check.Tags.Contains("ready"),
                ResponseWriter = HealthReportWriter.WriteAsync,
            })
            .AllowAnonymous();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapGet("/", (ServiceIdentity service) => Results.Ok(new { service = service.Name })).AllowAnonymous();
        app.MapPlatformOperations();
        return app;
    }

    private sealed class NoIntegrationEvents : IIntegrationEventMap
    {
        public IEnumerable<OutgoingMessage> Map(JasperFx.Events.IEvent @event) => [];
    }
}

public sealed record ServiceIdentity(string Name, Sender Sender);
