using Microsoft.Extensions.Options;

namespace Platform.Api.Hosting;

internal static class StartupValidation
{
    /// <summary>
    /// Runs every ValidateOnStart check before the host starts. A bad setting then ends the process with one
    /// line per problem on stderr and exit code 2, instead of the host's "Hosting failed to start" stack trace.
    /// A value the binder cannot convert (a word where a number belongs) is one such line too.
    /// </summary>
    public static WebApplication ExitOnInvalidSettings(this WebApplication app)
    {
        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
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
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // "Failed to convert configuration value 'abc' at 'Connections:MaxAgeSeconds' to type 'System.Int32'."
            Console.Error.WriteLine($"Invalid setting: {ex.Message.ReplaceLineEndings(" ")}");
            Environment.Exit(2);
        }
        return app;
    }
}
