using System.Text.Json;

namespace Platform.Testing;

/// <summary>Renders prometheus.yml; written by hand so the library needs no YAML package.</summary>
internal static class PrometheusConfig
{
    private static readonly TimeSpan MaxScrapeTimeout = TimeSpan.FromSeconds(10);

    public static string Render(PrometheusServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ScrapeInterval < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ScrapeInterval, "ScrapeInterval must be at least 1 ms.");
        }

        var interval = Duration(options.ScrapeInterval);
        List<string> lines =
        [
            "global:",
            $"  scrape_interval: {interval}",
            $"  scrape_timeout: {Duration(options.ScrapeInterval < MaxScrapeTimeout ? options.ScrapeInterval : MaxScrapeTimeout)}",
            $"  evaluation_interval: {interval}",
        ];

        if (options.RuleFiles.Count > 0)
        {
            lines.Add("rule_files:");
            foreach (var ruleFile in options.RuleFiles)
            {
                if (!Path.IsPathFullyQualified(ruleFile))
                {
                    throw new ArgumentException($"Rule file paths must be absolute: '{ruleFile}'.", nameof(options));
                }

                lines.Add($"  - {Quote(ruleFile)}");
            }
        }

        lines.Add(options.Targets.Count == 0 && options.FileDiscoveredJobs.Count == 0 ? "scrape_configs: []" : "scrape_configs:");
        foreach (var job in options.FileDiscoveredJobs)
        {
            if (!Path.IsPathFullyQualified(job.File))
            {
                throw new ArgumentException($"File discovery paths must be absolute: '{job.File}'.", nameof(options));
            }

            lines.Add($"  - job_name: {Quote(job.Job)}");
            lines.Add($"    metrics_path: {Quote(job.MetricsPath)}");
            lines.Add("    file_sd_configs:");
            lines.Add($"      - files: [{Quote(job.File)}]");
            lines.Add("        refresh_interval: 1s");
        }

        foreach (var job in options.Targets.GroupBy(target => target.Job))
        {
            // metrics_path belongs to the job, and Prometheus requires unique job names.
            var metricsPaths = job.Select(target => target.MetricsPath).Distinct().ToList();
            if (metricsPaths.Count > 1)
            {
                throw new ArgumentException($"Targets of job '{job.Key}' use different metrics paths; give each path its own job.", nameof(options));
            }

            lines.Add($"  - job_name: {Quote(job.Key)}");
            lines.Add($"    metrics_path: {Quote(metricsPaths[0])}");
            lines.Add("    static_configs:");
            foreach (var target in job)
            {
                lines.Add($"      - targets: [{Quote(target.Address)}]");
                if (target.Labels is { Count: > 0 })
                {
                    lines.Add("        labels:");
                    lines.AddRange(target.Labels.Select(label => $"          {Quote(label.Key)}: {Quote(label.Value)}"));
                }
            }
        }

        return string.Join('\n', lines) + "\n";
    }

    private static string Duration(TimeSpan value) => $"{(long)Math.Ceiling(value.TotalMilliseconds)}ms";

    // A JSON string literal is also a valid YAML double-quoted scalar.
    private static string Quote(string value) => $"\"{JsonEncodedText.Encode(value)}\"";
}
