namespace Platform.Operator.Tests;

/// <summary>Closed-loop tests that measure the thread pool: run after the parallel tests, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive";
}
