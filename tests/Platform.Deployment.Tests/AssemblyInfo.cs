// These tests run bash, helm and node and read Unix file modes and symlinks: Linux (or another Unix) only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
