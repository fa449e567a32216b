using Platform.Operator.Benchmarks;

// `recovery [--quick] [--only PART]`: real API processes and the operator in local mode under open-loop load
// (PART: bursts, survival, slow-clients, steady or wrk). Without arguments: the deterministic simulation of the
// decision logic.
if (args is ["recovery", .. var options])
{
    var only = Array.IndexOf(options, "--only") is var i and >= 0 && i + 1 < options.Length ? options[i + 1] : null;
    if (only is not null && !RecoveryBenchmark.Parts.Contains(only))
    {
        Console.Error.WriteLine($"--only takes one of {string.Join(", ", RecoveryBenchmark.Parts)}; got '{only}'.");
        return 2;
    }
    return await RecoveryBenchmark.RunAsync(quick: options.Contains("--quick"), only);
}

SimulationBenchmark.Run();
return 0;
