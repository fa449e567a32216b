namespace Platform.Api.Tests.Infrastructure;

/// <summary>
/// Tests that measure thread injection, queueing or latency. They run after the parallel tests, one at
/// a time, so a 2-core machine is not also busy with other tests while they measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive";
}
