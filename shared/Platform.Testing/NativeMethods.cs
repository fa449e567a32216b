using System.Runtime.InteropServices;

namespace Platform.Testing;

internal static partial class NativeMethods
{
    internal const int NoSuchProcess = 3; // ESRCH

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();
}
