namespace Platform.Api.Data;

/// <summary>Whether the schema and seed data are in place; readiness waits for it.</summary>
public sealed class DatabaseState
{
    private volatile bool _ready;
    private volatile string? _lastError = "not initialised yet";

    public bool IsReady => _ready;

    public string? LastError => _lastError;

    internal void MarkReady()
    {
        _lastError = null;
        _ready = true;
    }

    internal void MarkFailed(string error) => _lastError = error;
}
