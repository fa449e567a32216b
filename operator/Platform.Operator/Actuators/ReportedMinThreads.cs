using Platform.Operator.Decisions;

namespace Platform.Operator.Actuators;

/// <summary>
/// What each pod last said about its min worker threads: from a push response or from its metrics,
/// whichever is newer. Scrapes lag pushes by up to an interval; a restarted pod's metrics are newer
/// than our last push to it.
/// </summary>
public sealed class ReportedMinThreads
{
    private readonly Dictionary<string, (int Value, DateTimeOffset At)> _byPod = [];

    public void Observe(IEnumerable<PodSignals> signals)
    {
        foreach (var signal in signals)
        {
            if (signal is { SampleTime: { } at, MinWorkerThreads: { } value })
            {
                Update(signal.Pod, value, at);
            }
        }
    }

    public void Observe(IEnumerable<PushResult> pushes, DateTimeOffset at)
    {
        foreach (var push in pushes)
        {
            if (push.Applied is { } value)
            {
                Update(push.Pod, value, at);
            }
        }
    }

    /// <summary>Forget pods that are gone, so a new pod with a reused name starts unknown.</summary>
    public void Retain(IReadOnlyCollection<string> pods)
    {
        foreach (var gone in _byPod.Keys.Where(p => !pods.Contains(p)).ToList())
        {
            _byPod.Remove(gone);
        }
    }

    public IReadOnlyDictionary<string, int?> For(IEnumerable<string> pods) =>
        pods.ToDictionary(p => p, p => _byPod.TryGetValue(p, out var r) ? r.Value : (int?)null);

    private void Update(string pod, int value, DateTimeOffset at)
    {
        if (!_byPod.TryGetValue(pod, out var existing) || at >= existing.At)
        {
            _byPod[pod] = (value, at);
        }
    }
}
