namespace Platform.Testing;

/// <summary>
/// Tests that measure thread injection, queueing or latency, or start real processes and load them: they run
/// after the parallel tests of their assembly, one at a time, so a 2-core machine is not also busy with other
/// tests while they measure. Compiled into every test project (shared/TestSettings/TestProject.targets), since
/// xunit finds collection definitions only in the test assembly itself.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive";
}
