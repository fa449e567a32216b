namespace Platform.Testing;

/// <summary>Linux signal numbers for <see cref="ChildProcess.SignalAsync"/>.</summary>
public static class Signals
{
    public const int Hangup = 1;
    public const int Interrupt = 2;
    public const int Kill = 9;
    public const int Terminate = 15;
}
