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
builder.AddPlatformHosting();
builder.AddConnectionRecycling();
builder.AddPlatformTelemetry();
builder.AddPlatformDatabase();
builder.AddThreadPoolControl();
builder.AddControlListener();
builder.AddWorkloads();
builder.AddPlatformHealth();

var app = builder.Build().ExitOnInvalidSettings();

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
