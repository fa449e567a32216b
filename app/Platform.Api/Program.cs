using Platform.Api.Connections;
using Platform.Api.Control;
using Platform.Api.Data;
using Platform.Api.Health;
using Platform.Api.Hosting;
using Platform.Api.Telemetry;
using Platform.Api.ThreadPoolControl;
using Platform.Api.Workloads;

var builder = WebApplication.CreateBuilder(args);

// Options are bound and validated at start-up: a bad setting stops the process with a clear message.
var app = builder.BuildOrExitOnInvalidSettings(features =>
{
    features.AddPlatformHosting();
    features.AddConnectionRecycling();
    features.AddPlatformTelemetry();
    features.AddPlatformDatabase();
    features.AddThreadPoolControl();
    features.AddControlListener();
    features.AddWorkloads();
    features.AddPlatformHealth();
});

app.UseConnectionRecycling();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAdminPortIsolation();
app.UseAuthentication();
app.UseAuthorization();

app.MapHealthEndpoints();
app.MapPlatformMetrics();
app.MapThreadPoolAdmin();
app.MapIoDelay();
app.MapIoHttp();
app.MapDatabaseWorkload();
app.MapCpuWorkload();
app.MapFanout();
app.MapOrders();
app.MapDownstream();

app.Run();
