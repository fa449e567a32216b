// At most two tests at once (the machine this project is tested on has two cores); the timing-sensitive
// collection runs alone after them.
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 2)]
