using System.Text;
using Microsoft.Data.SqlClient;
using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// database.provider=sqlserver both ways, with helm 3 and 4: SQL Server 2022 in the cluster (ci/sqlserver-values.yaml),
/// or an existing server whose connection string is in the user's Secret (ci/sqlserver-external-values.yaml). Both
/// scenarios also go through every generic render test and the Kubernetes schema validation.
/// </summary>
public sealed class SqlServerTests
{
    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task In_cluster_it_is_the_official_image_non_root_with_a_volume_its_memory_and_a_readiness_query(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "sqlserver");
        var statefulSet = rendering.Single("StatefulSet", "platform-sqlserver");
        var container = statefulSet.Container("sqlserver");
        var env = KubeObject.Env(container);

        Assert.Matches(@"^mcr\.microsoft\.com/mssql/server:2022-CU\d+-ubuntu-\d+\.\d+$", container["image"]!.GetValue<string>());
        Assert.Equal("Y", env["ACCEPT_EULA"]["value"]!.GetValue<string>());
        Assert.Equal(10001, statefulSet.PodSpec!["securityContext"]!["runAsUser"]!.GetValue<long>());
        Assert.Equal(10001, statefulSet.PodSpec!["securityContext"]!["fsGroup"]!.GetValue<long>());
        Assert.True(Gibibytes(container["resources"]!["requests"]!["memory"]!.GetValue<string>()) >= 2, "SQL Server needs at least 2 GiB");
        Assert.True(long.Parse(env["MSSQL_MEMORY_LIMIT_MB"]["value"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
            < Gibibytes(container["resources"]!["limits"]!["memory"]!.GetValue<string>()) * 1024, "SQL Server's own cap must sit below the container's limit");
        Assert.Equal("/var/opt/mssql", container["volumeMounts"]!.AsArray().Single(m => m!["name"]!.GetValue<string>() == "data")!["mountPath"]!.GetValue<string>());
        Assert.Equal("data", statefulSet.Spec!["volumeClaimTemplates"]![0]!["metadata"]!["name"]!.GetValue<string>());
        foreach (var probe in new[] { "startupProbe", "readinessProbe" })
        {
            var command = container[probe]!["exec"]!["command"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
            Assert.Equal("/opt/mssql-tools18/bin/sqlcmd", command[0]);
            Assert.Contains("SELECT 1", command);
            // The password comes from SQLCMDPASSWORD, never from the command line.
            Assert.DoesNotContain("-P", command);
        }
        Assert.Equal("sa-password", env["SQLCMDPASSWORD"]["valueFrom"]!["secretKeyRef"]!["key"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task In_cluster_the_api_connects_to_the_charts_service_with_the_password_from_the_secret(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "sqlserver");
        var env = KubeObject.Env(rendering.Single("Deployment", "platform-api").Container("api"));
        var names = env.Keys.ToList();
        var secret = rendering.Single("Secret", "platform-sqlserver");
        var password = Encoding.UTF8.GetString(Convert.FromBase64String(secret.Node["data"]!["sa-password"]!.GetValue<string>()));

        Assert.Equal("SqlServer", env["Database__Provider"]["value"]!.GetValue<string>());
        var connection = new SqlConnectionStringBuilder(env["Database__ConnectionString"]["value"]!.GetValue<string>());
        Assert.Equal("tcp:platform-sqlserver,1433", connection.DataSource);
        Assert.Equal("platform", connection.InitialCatalog);
        Assert.Equal("$(MSSQL_SA_PASSWORD)", connection.Password);
        // Kubernetes expands $(NAME) only from variables defined earlier in the list.
        Assert.True(names.IndexOf("MSSQL_SA_PASSWORD") < names.IndexOf("Database__ConnectionString"));
        Assert.Equal("platform-sqlserver", env["MSSQL_SA_PASSWORD"]["valueFrom"]!["secretKeyRef"]!["name"]!.GetValue<string>());
        Assert.NotNull(rendering.Single("Service", "platform-sqlserver"));
        // SQL Server refuses an SA password without three of: upper case, lower case, digits, symbols.
        Assert.True(password.Length >= 8 && password.Any(char.IsUpper) && password.Any(char.IsLower) && password.Any(char.IsDigit), "the generated password breaks SQL Server's policy");
        Assert.True(password.All(char.IsAsciiLetterOrDigit), "the generated password must be safe inside a connection string");
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task External_deploys_no_server_and_reads_the_whole_connection_string_from_the_users_secret(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "sqlserver-external");
        var env = KubeObject.Env(rendering.Single("Deployment", "platform-api").Container("api"));

        Assert.DoesNotContain(rendering.Objects, o => o.Labels.GetValueOrDefault("app.kubernetes.io/component") == "sqlserver");
        Assert.DoesNotContain(rendering.Objects, o => o.Labels.GetValueOrDefault("app.kubernetes.io/component") == "postgres");
        Assert.Equal("SqlServer", env["Database__Provider"]["value"]!.GetValue<string>());
        var secretRef = env["Database__ConnectionString"]["valueFrom"]!["secretKeyRef"]!.AsObject();
        Assert.Equal(("platform-sqlserver-connection", "connectionString"), (secretRef["name"]!.GetValue<string>(), secretRef["key"]!.GetValue<string>()));
        Assert.False(env.ContainsKey("MSSQL_SA_PASSWORD"));
        Assert.Equal("true", env["Database__SqlClientCompatibilityAsyncBehaviour"]["value"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task The_sqlclient_async_setting_reaches_the_api(string helm)
    {
        var rendering = await PlatformChart.RenderWithAsync(helm, "--values", PlatformChart.ValuesFile("sqlserver"),
            "--set", "database.sqlserver.sqlClientCompatibilityAsyncBehaviour=false");

        Assert.True(rendering.Result.ExitCode == 0, rendering.Result.Describe());
        var env = KubeObject.Env(rendering.Single("Deployment", "platform-api").Container("api"));
        Assert.Equal("false", env["Database__SqlClientCompatibilityAsyncBehaviour"]["value"]!.GetValue<string>());
    }

    private static double Gibibytes(string quantity) =>
        quantity.EndsWith("Gi", StringComparison.Ordinal) ? double.Parse(quantity[..^2], System.Globalization.CultureInfo.InvariantCulture)
        : quantity.EndsWith("Mi", StringComparison.Ordinal) ? double.Parse(quantity[..^2], System.Globalization.CultureInfo.InvariantCulture) / 1024
        : throw new FormatException($"unexpected memory quantity {quantity}");
}
