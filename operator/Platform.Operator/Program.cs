using Platform.Operator.Hosting;
using Platform.Operator.Kubernetes;

return await OperatorCommand.Create(async (settings, cancellationToken) =>
{
    WebApplication app;
    try
    {
        app = OperatorHost.Build(settings);
    }
    catch (KubernetesConfigException ex)
    {
        await Console.Error.WriteLineAsync($"platform-operator: {ex.Message}");
        return OperatorCommand.UsageError;
    }
    await app.RunAsync(cancellationToken);
    return 0;
}).Parse(args).InvokeAsync();
