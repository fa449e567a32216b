// Timing-sensitive tests live in collections that run alone (see TimingSensitive); everything else in parallel.
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 2)]
