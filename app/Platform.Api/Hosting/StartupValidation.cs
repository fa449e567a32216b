using Microsoft.Extensions.Options;

namespace Platform.Api.Hosting;

internal static class StartupValidation
{
    /// <summary>
    /// Registers the features, builds the app and runs every ValidateOnStart check before the host starts. A bad
    /// setting then ends the process with one line per problem on stderr and exit code 2, instead of the host's
    /// "Hosting failed to start" stack trace. A value the binder cannot convert (a word where a number belongs)
    /// is one such line too, wherever it is first read: while features register (a switch such as
    /// Metrics:Enabled decides what is registered), while the host is built (the drain timeout sets the host's
    /// shutdown timeout) or in a validator.
    /// </summary>
    public static WebApplication BuildOrExitOnInvalidSettings(this WebApplicationBuilder builder, Action<WebApplicationBuilder> addFeatures)
    {
        try
        {
            addFeatures(builder);
            var app = builder.Build();
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            return app;
        }
        catch (Exception ex) when (ex is OptionsValidationException or AggregateException)
        {
            var failures = ex is AggregateException aggregate
                ? aggregate.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures)
                : ((OptionsValidationException)ex).Failures;
            foreach (var failure in failures)
            {
                Console.Error.WriteLine($"Invalid setting: {failure.ReplaceLineEndings(" ")}");
            }
            Environment.Exit(2);
            throw;
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // "Failed to convert configuration value 'abc' at 'Connections:MaxAgeSeconds' to type 'System.Int32'."
            Console.Error.WriteLine($"Invalid setting: {ex.Message.ReplaceLineEndings(" ")}");
            Environment.Exit(2);
            throw;
        }
    }
}
