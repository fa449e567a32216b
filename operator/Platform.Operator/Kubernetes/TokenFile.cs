namespace Platform.Operator.Kubernetes;

/// <summary>
/// A bearer token kept in a file that is rotated underneath us (the kubelet refreshes projected service-account
/// tokens well before they expire). Re-read when the file's modification time changes, and at least once a
/// minute: the kubelet swaps the file through a symlink, whose own time need not change.
/// </summary>
public sealed class TokenFile
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private string? _token;
    private DateTime _readModifiedTime;
    private DateTimeOffset _readAt;

    public TokenFile(string path, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FilePath = path;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    public string FilePath { get; }

    /// <summary>The current token; reads the file when the cached one may be stale.</summary>
    public string Read()
    {
        var now = _timeProvider.GetUtcNow();
        var modifiedTime = File.GetLastWriteTimeUtc(FilePath);
        lock (_gate)
        {
            if (_token is null || modifiedTime != _readModifiedTime || now - _readAt >= MaxAge)
            {
                _token = File.ReadAllText(FilePath).Trim();
                _readModifiedTime = modifiedTime;
                _readAt = now;
            }

            return _token;
        }
    }
}
