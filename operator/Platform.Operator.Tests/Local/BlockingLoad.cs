namespace Platform.Operator.Tests.Local;

/// <summary>
/// Keeps a fixed number of blocking requests in flight against the API until stopped: a sustained
/// burst that needs that many threads, which the runtime alone provides only slowly.
/// </summary>
public sealed class BlockingLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private int _completed;

    public BlockingLoad(HttpClient client, string url, int concurrency)
    {
        _workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync(url, _stop.Token);
                    Interlocked.Increment(ref _completed);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(50);
                }
            }
        })).ToArray();
    }

    public int Completed => Volatile.Read(ref _completed);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _stop.Dispose();
    }
}
