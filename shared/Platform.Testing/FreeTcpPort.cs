using System.Net;
using System.Net.Sockets;

namespace Platform.Testing;

/// <summary>Hands out TCP ports on 127.0.0.1 that are free at the moment of the call.</summary>
public static class FreeTcpPort
{
    /// <summary>Binds port 0 on loopback, reads the port the OS picked and releases it.</summary>
    /// <remarks>Another process may grab the port before the caller binds it; callers that can, retry.</remarks>
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
