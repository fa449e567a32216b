using Platform.SpecGen;

// Writes the CRD's openAPIV3Schema and the chart's operator.autoscaler values schema from the spec types.
//   dotnet run --project tools/Platform.SpecGen            rewrite the files that differ
//   dotnet run --project tools/Platform.SpecGen -- --check  change nothing; exit 1 naming the files that differ
var check = args.Contains("--check");
var root = Directory.GetCurrentDirectory();
while (!File.Exists(Path.Combine(root, "Platform.sln")))
{
    root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("run inside the repository (no Platform.sln above the current directory)");
}

var stale = 0;
foreach (var (file, content) in SpecFiles.Generate(root))
{
    var path = Path.Combine(root, file);
    if (File.ReadAllText(path) == content)
    {
        Console.WriteLine($"unchanged {file}");
        continue;
    }
    stale++;
    if (check)
    {
        Console.Error.WriteLine($"stale     {file}: run `{SpecFiles.Command}`");
    }
    else
    {
        File.WriteAllText(path, content);
        Console.WriteLine($"wrote     {file}");
    }
}
return check && stale > 0 ? 1 : 0;
