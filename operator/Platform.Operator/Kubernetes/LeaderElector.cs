using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Platform.Operator.Kubernetes;

public sealed record LeaderElectionOptions
{
    public required string Namespace { get; init; }

    public required string LeaseName { get; init; }

    /// <summary>This candidate's name in the lease (holderIdentity), e.g. the pod name.</summary>
    public required string Identity { get; init; }

    /// <summary>How long others wait, after last seeing the lease change, before taking it over. Whole seconds.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The leader steps down when it has not renewed for this long; shorter than <see cref="LeaseDuration"/>.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The pause between attempts to acquire and between renewals.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Called when this candidate becomes leader, with a token cancelled when it stops being one. Runs on the
    /// election loop, which cannot renew meanwhile: start the work and return.
    /// </summary>
    public Action<CancellationToken>? OnStartedLeading { get; init; }

    /// <summary>Called after the leadership token is cancelled (lease lost, or shutting down).</summary>
    public Action? OnStoppedLeading { get; init; }
}

/// <summary>
/// Leader election over a coordination.k8s.io/v1 Lease, with client-go's rules: a lease is free when it has no
/// holder or has not changed for its leaseDurationSeconds as measured by this candidate's own clock (so clock skew
/// between nodes does not matter); writes are conditional on resourceVersion, so of racing candidates exactly one
/// wins (the others get 409). The leader renews every retry period and steps down when it has not managed to for
/// the renew deadline, before anyone else may take over. On shutdown it releases the lease (no holder,
/// leaseDurationSeconds 1) so a successor need not wait.
/// </summary>
/// <remarks>
/// Not the client's k8s.LeaderElection.LeaderElector, although it follows the same rules and its conditional writes
/// keep one leader too: in version 21 it does not release the lease when stopped (every rolling update of the
/// operator would leave autoscalers unattended for a whole lease duration); its IsLeader() still answers true after
/// it stopped leading for want of renewals (it reports the last lease it saw), so a loop that asks it would go on
/// acting; and an API server that refuses connections while it campaigns ends the campaign with the exception
/// instead of a retry. It also cannot be driven by a TimeProvider. LibraryLeaderElectorTests shows each of these
/// against the fake API server. This one uses the client's Lease model and calls, through the seam.
/// </remarks>
public sealed class LeaderElector
{
    private readonly IKubernetesApi _api;
    private readonly LeaderElectionOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private CancellationTokenSource? _leadership;

    // The lease as last read, and when (by our clock) it was last seen to change.
    private (string? ResourceVersion, DateTimeOffset At) _observed;

    public LeaderElector(IKubernetesApi api, LeaderElectionOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(options);
        if (options.RenewDeadline >= options.LeaseDuration || options.RetryPeriod >= options.RenewDeadline)
        {
            throw new ArgumentException("Leader election needs RetryPeriod < RenewDeadline < LeaseDuration.", nameof(options));
        }

        _api = api;
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public bool IsLeader => Volatile.Read(ref _leadership) is not null;

    /// <summary>While leader, a token cancelled when leadership ends; otherwise an already-cancelled token.</summary>
    public CancellationToken LeadershipToken => Volatile.Read(ref _leadership)?.Token ?? new CancellationToken(canceled: true);

    private int LeaseDurationSeconds => Math.Max(1, (int)_options.LeaseDuration.TotalSeconds);

    /// <summary>
    /// Campaigns, leads while renewals succeed, campaigns again after losing the lease; on cancellation ends
    /// leadership (cancelling <see cref="LeadershipToken"/> first) and releases the lease, then returns.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await AcquireAsync(cancellationToken))
            {
                StartLeading();
                await RenewWhileLeadingAsync(cancellationToken);
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                StopLeading();
            }
        }
        finally
        {
            if (IsLeader)
            {
                StopLeading();
                await ReleaseAsync();
            }
        }
    }

    /// <summary>One attempt to take (or renew) the lease; false when someone else holds it or won the race.</summary>
    internal async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        var lease = await _api.GetLeaseAsync(_options.Namespace, _options.LeaseName, cancellationToken);
        if (lease is null)
        {
            try
            {
                var created = await _api.CreateLeaseAsync(new V1Lease
                {
                    Metadata = new V1ObjectMeta { Name = _options.LeaseName, NamespaceProperty = _options.Namespace },
                    Spec = HeldByUs(now, acquireTime: now, transitions: 0),
                }, cancellationToken);
                _observed = (created.Metadata.ResourceVersion, now);
                return true;
            }
            catch (AlreadyExistsException)
            {
                return false;
            }
        }

        if (lease.Metadata.ResourceVersion != _observed.ResourceVersion)
        {
            _observed = (lease.Metadata.ResourceVersion, now);
        }

        var spec = lease.Spec ?? new V1LeaseSpec();
        var holder = spec.HolderIdentity;
        var ours = holder == _options.Identity;
        var expiresAt = _observed.At + TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? LeaseDurationSeconds);
        if (!string.IsNullOrEmpty(holder) && !ours && now < expiresAt)
        {
            return false;
        }

        var transitions = spec.LeaseTransitions ?? 0;
        lease.Spec = ours
            ? HeldByUs(now, spec.AcquireTime is { } acquired ? new DateTimeOffset(acquired, TimeSpan.Zero) : now, transitions)
            : HeldByUs(now, acquireTime: now, transitions + 1);
        try
        {
            var updated = await _api.ReplaceLeaseAsync(lease, cancellationToken);
            _observed = (updated.Metadata.ResourceVersion, now);
            return true;
        }
        catch (ConflictException)
        {
            return false;
        }
    }

    /// <summary>Gives the lease up if we hold it: no holder and a one-second duration, so others take it at once.</summary>
    internal async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(_options.RenewDeadline, _timeProvider);
        try
        {
            var lease = await _api.GetLeaseAsync(_options.Namespace, _options.LeaseName, timeout.Token);
            if (lease is null || lease.Spec?.HolderIdentity != _options.Identity)
            {
                return;
            }

            var now = _timeProvider.GetUtcNow().UtcDateTime;
            lease.Spec = new V1LeaseSpec
            {
                HolderIdentity = "",
                LeaseDurationSeconds = 1,
                AcquireTime = now,
                RenewTime = now,
                LeaseTransitions = lease.Spec.LeaseTransitions,
            };
            await _api.ReplaceLeaseAsync(lease, timeout.Token);
            KubernetesLog.LeaseReleased(_logger, _options.Identity, _options.Namespace, _options.LeaseName);
        }
        catch (Exception e) when (e is KubernetesApiException or HttpRequestException or TimeoutException or OperationCanceledException)
        {
            // Then the lease simply expires.
            KubernetesLog.LeaseAttemptFailed(_logger, e, _options.Identity, _options.Namespace, _options.LeaseName);
        }
    }

    private V1LeaseSpec HeldByUs(DateTimeOffset now, DateTimeOffset acquireTime, int transitions) => new()
    {
        HolderIdentity = _options.Identity,
        LeaseDurationSeconds = LeaseDurationSeconds,
        AcquireTime = acquireTime.UtcDateTime,
        RenewTime = now.UtcDateTime,
        LeaseTransitions = transitions,
    };

    /// <summary>Retries every retry period until the lease is ours (true) or we are cancelled (false).</summary>
    private async Task<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await TryAsync(cancellationToken, cancellationToken))
            {
                KubernetesLog.LeaseAcquired(_logger, _options.Identity, _options.Namespace, _options.LeaseName);
                return true;
            }

            if (!await DelayAsync(_options.RetryPeriod, cancellationToken))
            {
                return false;
            }
        }
    }

    /// <summary>Renews every retry period; returns when a renewal has not succeeded within the deadline, or on cancellation.</summary>
    private async Task RenewWhileLeadingAsync(CancellationToken cancellationToken)
    {
        var renewedAt = _timeProvider.GetUtcNow();
        while (await DelayAsync(_options.RetryPeriod, cancellationToken))
        {
            while (true)
            {
                var remaining = renewedAt + _options.RenewDeadline - _timeProvider.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    KubernetesLog.LeaseLost(_logger, _options.Identity, _options.Namespace, _options.LeaseName, _options.RenewDeadline.TotalSeconds);
                    return;
                }

                // A renewal still in flight at the deadline counts as failed: the lease may be someone else's by then.
                using var deadline = new CancellationTokenSource(remaining, _timeProvider);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                if (await TryAsync(attempt.Token, cancellationToken))
                {
                    renewedAt = _timeProvider.GetUtcNow();
                    break;
                }

                if (!await DelayAsync(_options.RetryPeriod, cancellationToken))
                {
                    return;
                }
            }
        }
    }

    /// <summary><see cref="TryAcquireOrRenewAsync"/>, with any failure (a timed-out attempt included) as "not this time".</summary>
    private async Task<bool> TryAsync(CancellationToken attemptToken, CancellationToken stoppingToken)
    {
        try
        {
            return await TryAcquireOrRenewAsync(attemptToken);
        }
        catch (Exception e) when (e is KubernetesApiException or HttpRequestException or TimeoutException or OperationCanceledException)
        {
            if (!stoppingToken.IsCancellationRequested)
            {
                KubernetesLog.LeaseAttemptFailed(_logger, e, _options.Identity, _options.Namespace, _options.LeaseName);
            }

            return false;
        }
    }

    private void StartLeading()
    {
        var leadership = new CancellationTokenSource();
        Volatile.Write(ref _leadership, leadership);
        _options.OnStartedLeading?.Invoke(leadership.Token);
    }

    private void StopLeading()
    {
        var leadership = Interlocked.Exchange(ref _leadership, null);
        if (leadership is null)
        {
            return;
        }

        // Not disposed: a consumer may still be reading its Token.
        leadership.Cancel();
        _options.OnStoppedLeading?.Invoke();
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _timeProvider, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
