using System.Globalization;
using System.Runtime.Versioning;

namespace Platform.Testing;

/// <summary>
/// A throwaway PostgreSQL instance on 127.0.0.1 with trust auth, in its own temp directory, deleted on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string ServiceUser = "postgres";
    private const int StartAttempts = 3;
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan SqlTimeout = TimeSpan.FromSeconds(60);

    private readonly string _pgCtl;
    private readonly bool _runAsServiceUser;
    private int _disposed;

    private PostgresServer(string rootDirectory, string pgCtl, bool runAsServiceUser)
    {
        RootDirectory = rootDirectory;
        DataDirectory = Path.Combine(rootDirectory, "data");
        LogFile = Path.Combine(rootDirectory, "postgres.log");
        _pgCtl = pgCtl;
        _runAsServiceUser = runAsServiceUser;
    }

    public int Port { get; private set; }

    /// <summary>The throwaway directory holding the data directory, the server log and the Unix socket.</summary>
    public string RootDirectory { get; }

    public string DataDirectory { get; }

    public string LogFile { get; }

    /// <summary>Npgsql connection string for the <c>postgres</c> database.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    public string ConnectionStringFor(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Timeout=15";

    /// <summary>
    /// Runs initdb and pg_ctl start on a free port. As root both run as the <c>postgres</c> user via runuser,
    /// because PostgreSQL refuses to run as root.
    /// </summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("PostgresServer runs on Linux only.");
        }

        var initdb = ToolLocator.Require("initdb");
        var pgCtl = ToolLocator.Require("pg_ctl");
        var runAsServiceUser = IsRoot();
        if (runAsServiceUser)
        {
            ToolLocator.Require("runuser");
        }

        var server = new PostgresServer(CreateRootDirectory(runAsServiceUser), pgCtl, runAsServiceUser);
        try
        {
            if (runAsServiceUser)
            {
                await RunCheckedAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", server.RootDirectory], cancellationToken);
            }

            await server.RunToolCheckedAsync(
                initdb,
                ["-D", server.DataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"],
                cancellationToken);
            await server.StartOnFreePortAsync(cancellationToken);
            return server;
        }
        catch
        {
            try
            {
                await server.DisposeAsync();
            }
            catch (Exception)
            {
                // The startup failure is the error worth reporting, not the cleanup's.
            }

            throw;
        }
    }

    /// <summary>Runs <paramref name="sql"/> with psql over TCP and returns its unaligned, tuples-only stdout.</summary>
    public async Task<string> ExecuteSqlAsync(string sql, string database = "postgres", CancellationToken cancellationToken = default)
    {
        var psql = ToolLocator.Require("psql");
        var result = await ChildProcess.RunCoreAsync(
            psql,
            ["-X", "-q", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", database,
             "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
            new Dictionary<string, string> { ["PGCONNECT_TIMEOUT"] = "15" },
            timeout: SqlTimeout,
            cancellationToken: cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"psql exited with code {result.ExitCode} running: {sql}\n{result.Output}");
        }

        return result.StandardOutput.TrimEnd('\n');
    }

    /// <summary>Stops this instance (pg_ctl stop on its own data directory) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            var fast = await RunToolAsync(_pgCtl, ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "30"], CancellationToken.None);
            if (fast.ExitCode != 0)
            {
                var immediate = await RunToolAsync(_pgCtl, ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30"], CancellationToken.None);
                if (immediate.ExitCode != 0)
                {
                    throw new InvalidOperationException(
                        $"Could not stop PostgreSQL in {DataDirectory}; its directory was left in place.\n{fast.Output}\n{immediate.Output}");
                }
            }
        }

        Directory.Delete(RootDirectory, recursive: true);
    }

    private async Task StartOnFreePortAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            Port = FreeTcpPort.Next();
            File.Delete(LogFile);
            var options = $"-p {Port} -c listen_addresses=127.0.0.1 -k '{RootDirectory}' -c fsync=off -c synchronous_commit=off " +
                          "-c full_page_writes=off -c max_connections=200";
            var result = await RunToolAsync(_pgCtl, ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options, "start"], cancellationToken);
            if (result.ExitCode == 0)
            {
                return;
            }

            var log = ReadLogTail();
            // Another process can take the port between choosing and binding it.
            if (attempt < StartAttempts && log.Contains("Address already in use", StringComparison.Ordinal))
            {
                continue;
            }

            throw new InvalidOperationException(
                $"pg_ctl start failed with exit code {result.ExitCode} (port {Port}).\n{result.Output}\nServer log tail:\n{log}");
        }
    }

    private async Task RunToolCheckedAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var result = await RunToolAsync(tool, arguments, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(tool)} failed with exit code {result.ExitCode}.\n{result.Output}");
        }
    }

    private Task<ChildProcess.RunResult> RunToolAsync(string tool, string[] arguments, CancellationToken cancellationToken) =>
        _runAsServiceUser
            ? ChildProcess.RunCoreAsync("runuser", ["-u", ServiceUser, "--", tool, .. arguments], timeout: ToolTimeout,
                workingDirectory: RootDirectory, cancellationToken: cancellationToken)
            : ChildProcess.RunCoreAsync(tool, arguments, timeout: ToolTimeout, workingDirectory: RootDirectory, cancellationToken: cancellationToken);

    private static async Task RunCheckedAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var result = await ChildProcess.RunCoreAsync(tool, arguments, timeout: ToolTimeout, cancellationToken: cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed with exit code {result.ExitCode}.\n{result.Output}");
        }
    }

    private string ReadLogTail()
    {
        if (!File.Exists(LogFile))
        {
            return "(no server log was written)";
        }

        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().TrimEnd('\n').Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 40)));
    }

    private static bool IsRoot()
    {
        try
        {
            return NativeMethods.GetEffectiveUserId() == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return Environment.UserName == "root";
        }
    }

    [UnsupportedOSPlatform("windows")]
    private static string CreateRootDirectory(bool forServiceUser)
    {
        var parent = Path.GetTempPath();
        // The postgres user must be able to reach the directory, and root's TMPDIR may live under /root.
        if (forServiceUser && !IsTraversableByOthers(parent))
        {
            parent = "/tmp";
        }

        var path = Path.Combine(parent, $"platform-testing-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [UnsupportedOSPlatform("windows")]
    private static bool IsTraversableByOthers(string path)
    {
        for (var directory = new DirectoryInfo(path); directory is not null; directory = directory.Parent)
        {
            if ((File.GetUnixFileMode(directory.FullName) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }

        return true;
    }
}
