namespace Platform.Api.Workloads;

/// <summary>
/// A fixed amount of CPU work: a chain of integer mixing steps, each depending on the previous, so the
/// JIT can neither vectorise nor skip it. Cost grows linearly with the iteration count.
/// </summary>
public static class CpuWork
{
    public static ulong Run(int iterations, ulong seed = 0x9E3779B97F4A7C15)
    {
        var x = seed;
        for (var i = 0; i < iterations; i++)
        {
            x = (x ^ (x >> 31)) * 0xBF58476D1CE4E5B9;
            x ^= x >> 29;
        }
        return x;
    }
}
