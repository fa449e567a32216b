using Microsoft.Extensions.Options;

namespace Platform.Api.Workloads;

internal static class WorkloadServices
{
    public static WebApplicationBuilder AddWorkloads(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DownstreamOptions>()
            .BindConfiguration(DownstreamOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHttpClient(DownstreamClient.HttpClientName)
            .ConfigureHttpClient((sp, client) =>
                client.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<DownstreamOptions>>().Value.TimeoutSeconds))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Under a blocking burst the calls pile up; let each get a connection rather than
                // adding a hidden queue in the client.
                MaxConnectionsPerServer = int.MaxValue,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            });
        builder.Services.AddSingleton<DownstreamClient>();
        return builder;
    }
}
