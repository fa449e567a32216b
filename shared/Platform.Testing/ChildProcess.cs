using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Platform.Testing;

/// <summary>
/// A child process whose stdout and stderr lines are kept in memory (the last 500) and which is only ever
/// signalled or killed through its own PID.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int RecentLineLimit = 500;
    private const int TailLineCount = 40;
    private static readonly TimeSpan DefaultRunTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DisposeGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AfterKillWait = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly string _description;
    private readonly int _lineLimit;
    private readonly Queue<string> _lines = new();
    private readonly StringBuilder? _standardOutput;
    private bool _disposed;

    private ChildProcess(ProcessStartInfo startInfo, int lineLimit, bool keepStandardOutput)
    {
        _lineLimit = lineLimit;
        _standardOutput = keepStandardOutput ? new StringBuilder() : null;
        _process = new Process { StartInfo = startInfo };
        _process.OutputDataReceived += (_, e) => Append(e.Data, fromStandardOutput: true);
        _process.ErrorDataReceived += (_, e) => Append(e.Data, fromStandardOutput: false);
        try
        {
            _process.Start();
        }
        catch
        {
            _process.Dispose();
            throw;
        }

        Pid = _process.Id;
        _description = $"`{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)}` (pid {Pid})";
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Exit code once the process has exited, otherwise null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The most recent stdout and stderr lines, interleaved in arrival order.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> (searched on PATH when not a path) with stdin closed.</summary>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var child = new ChildProcess(CreateStartInfo(fileName, arguments, environment, workingDirectory), RecentLineLimit, keepStandardOutput: false);
        // Children of a test run must not read the runner's stdin.
        child._process.StandardInput.Close();
        return child;
    }

    /// <summary>
    /// Runs a short command to completion and returns its exit code and combined output.
    /// On timeout (default 60 s) or cancellation the process is killed by PID before the exception is thrown.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null,
        TimeSpan? timeout = null,
        string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        var result = await RunCoreAsync(fileName, arguments, environment, standardInput, timeout, workingDirectory, cancellationToken);
        return (result.ExitCode, result.Output);
    }

    internal static async Task<RunResult> RunCoreAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null,
        TimeSpan? timeout = null,
        string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? DefaultRunTimeout;
        // Short commands keep all their output: callers parse it.
        await using var child = new ChildProcess(CreateStartInfo(fileName, arguments, environment, workingDirectory), int.MaxValue, keepStandardOutput: true);
        await child.WriteAndCloseStandardInputAsync(standardInput);

        bool exited;
        try
        {
            exited = await child.TryWaitForExitAsync(limit, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await child.KillAsync();
            throw;
        }

        if (!exited)
        {
            await child.KillAsync();
            throw new TimeoutException($"{child._description} did not finish within {limit.TotalSeconds:0.#} s and was killed.{child.FormatTail()}");
        }

        string standardOutput;
        lock (child._lines)
        {
            standardOutput = child._standardOutput!.ToString();
        }

        return new RunResult(child._process.ExitCode, standardOutput, child.RecentOutput);
    }

    /// <summary>Waits for the process to exit and returns its exit code; throws <see cref="TimeoutException"/> otherwise.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!await TryWaitForExitAsync(timeout, cancellationToken))
        {
            throw new TimeoutException($"{_description} did not exit within {timeout.TotalSeconds:0.#} s.{FormatTail()}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends <paramref name="signal"/> to this PID with libc kill(2); does nothing once the process has exited.</summary>
    public Task SignalAsync(int signal)
    {
        Signal(signal);
        return Task.CompletedTask;
    }

    public void SendSigterm() => Signal(Signals.Terminate);

    /// <summary>SIGTERM, wait up to <paramref name="grace"/>, then SIGKILL this PID (not its children).</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            SendSigterm();
            if (await TryWaitForExitAsync(grace, CancellationToken.None))
            {
                return;
            }

            await KillAsync();
        }

        if (!await TryWaitForExitAsync(AfterKillWait, CancellationToken.None))
        {
            throw new TimeoutException($"{_description} did not exit after SIGTERM and SIGKILL.{FormatTail()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                await StopAsync(DisposeGrace);
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>The last lines of output, formatted for exception messages.</summary>
    internal string FormatTail()
    {
        lock (_lines)
        {
            return _lines.Count == 0
                ? " The process wrote no output."
                : $"\nLast output lines:\n{string.Join('\n', _lines.Skip(Math.Max(0, _lines.Count - TailLineCount)))}";
        }
    }

    private static ProcessStartInfo CreateStartInfo(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        string? workingDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        return startInfo;
    }

    private void Append(string? line, bool fromStandardOutput)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > _lineLimit)
            {
                _lines.Dequeue();
            }

            if (fromStandardOutput)
            {
                _standardOutput?.Append(line).Append('\n');
            }
        }
    }

    private void Signal(int signal)
    {
        // Once exited the PID has been reaped and may belong to an unrelated process.
        if (_process.HasExited || NativeMethods.Kill(Pid, signal) == 0)
        {
            return;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno != NativeMethods.NoSuchProcess)
        {
            throw new InvalidOperationException($"kill({Pid}, {signal}) failed with errno {errno}.");
        }
    }

    private async Task WriteAndCloseStandardInputAsync(string? text)
    {
        try
        {
            if (text is not null)
            {
                await _process.StandardInput.WriteAsync(text);
            }

            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child stopped reading early; its exit code and output tell the story.
        }
    }

    private async Task KillAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // Exited in the meantime.
        }

        await TryWaitForExitAsync(AfterKillWait, CancellationToken.None);
    }

    private async Task<bool> TryWaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            // Also waits for stdout/stderr to be drained, so the output is complete afterwards.
            await _process.WaitForExitAsync(timeoutSource.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A grandchild may still hold the pipes open; the process itself may have exited anyway.
            return _process.HasExited;
        }
    }

    internal sealed record RunResult(int ExitCode, string StandardOutput, string Output);
}
