using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Data;
using Platform.Api.Hosting;

namespace Platform.Api.Workloads;

/// <summary>
/// orders: a write that must never be lost, under load or while pods scale in. A client may supply the
/// order id; posting the same order again is then a safe retry (200 with the stored order).
/// </summary>
internal static class OrdersEndpoints
{
    public const int MaxQuantity = 1_000;
    public const int MaxItemLength = 100;

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        // Not a route group: a group would register POST as "/orders/" and the route label would say so.
        app.MapPost("/orders", async Task<Results<Created<OrderResult>, Ok<OrderResult>, ValidationProblem, ProblemHttpResult>> (
            HttpRequest request, PlatformDbContext db, TimeProvider clock, CancellationToken aborted) =>
        {
            var (body, bodyProblem) = await JsonBody.ReadAsync<CreateOrder>(request, aborted);
            if (bodyProblem is not null) return bodyProblem;
            if (Validate(body!) is { } invalid) return invalid;

            var order = new Order
            {
                Id = body!.Id ?? Guid.CreateVersion7(),
                Item = body.Item!.Trim(),
                Quantity = body.Quantity!.Value,
                CreatedAtUtc = clock.GetUtcNow().UtcDateTime,
            };
            if (body.Id is not null && await db.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.Id == order.Id, aborted) is { } existing)
            {
                return SameOrder(existing, order) ? TypedResults.Ok(OrderResult.From(existing)) : IdConflict(order.Id);
            }
            db.Orders.Add(order);
            try
            {
                // Not the abort token: once we start writing, the order is committed or not, never half.
                await db.SaveChangesAsync(CancellationToken.None);
            }
            catch (DbUpdateException) when (body.Id is not null)
            {
                // A concurrent retry with the same id won the race: answer as for a retry.
                db.ChangeTracker.Clear();
                var winner = await db.Orders.AsNoTracking().FirstAsync(o => o.Id == order.Id, CancellationToken.None);
                return SameOrder(winner, order) ? TypedResults.Ok(OrderResult.From(winner)) : IdConflict(order.Id);
            }
            return TypedResults.Created($"/orders/{order.Id}", OrderResult.From(order));
        }).AsMode(Workload.Orders, Modes.Async).WithTags(Workload.Orders);

        app.MapGet("/orders/count", async (PlatformDbContext db, CancellationToken aborted) =>
            TypedResults.Ok(new OrderCount(await db.Orders.LongCountAsync(aborted))))
            .AsMode(Workload.Orders, Modes.Async).WithTags(Workload.Orders);

        app.MapGet("/orders/{id:guid}", async Task<Results<Ok<OrderResult>, NotFound>> (Guid id, PlatformDbContext db, CancellationToken aborted) =>
            await db.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, aborted) is { } order
                ? TypedResults.Ok(OrderResult.From(order))
                : TypedResults.NotFound())
            .AsMode(Workload.Orders, Modes.Async).WithTags(Workload.Orders);

        return app;
    }

    private static ValidationProblem? Validate(CreateOrder body)
    {
        var query = new QueryBounds();
        if (string.IsNullOrWhiteSpace(body.Item) || body.Item.Trim().Length > MaxItemLength)
        {
            query.Add("item", $"'item' is required: 1 to {MaxItemLength} characters.");
        }
        if (body.Quantity is not (>= 1 and <= MaxQuantity))
        {
            query.Add("quantity", $"'quantity' is required: an integer from 1 to {MaxQuantity}.");
        }
        if (body.Id == Guid.Empty)
        {
            query.Add("id", "'id' must not be the empty GUID; omit it to have one assigned.");
        }
        return query.IsValid ? null : query.Problem();
    }

    private static bool SameOrder(Order stored, Order requested) =>
        stored.Item == requested.Item && stored.Quantity == requested.Quantity;

    private static ProblemHttpResult IdConflict(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Order id already used.",
            detail: $"An order with id {id} exists with different contents.");
}

public sealed record CreateOrder(Guid? Id, string? Item, int? Quantity);

public sealed record OrderResult(Guid Id, string Item, int Quantity, DateTime CreatedAtUtc)
{
    public static OrderResult From(Order order) => new(order.Id, order.Item, order.Quantity, order.CreatedAtUtc);
}

public sealed record OrderCount(long Count);
