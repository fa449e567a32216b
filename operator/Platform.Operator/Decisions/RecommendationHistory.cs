using System.Collections.Immutable;

namespace Platform.Operator.Decisions;

/// <summary>What one decision recommended before stabilisation: the raw want, not what was applied.</summary>
public readonly record struct TimedRecommendation(DateTimeOffset Time, int Value);

/// <summary>Pods added by one decision; the scale-up limit counts them per period.</summary>
public readonly record struct ScaleUpEvent(DateTimeOffset Time, int AddedReplicas);

/// <summary>
/// The anti-flap memory of one knob of one autoscaler, as an immutable value: the controller keeps one
/// per knob and autoscaler (as the HPA keeps its recommendations per key) and passes it back in with every
/// decision of that knob.
/// </summary>
/// <param name="ObservedSince">
/// Since when recommendations have been recorded without a gap as long as the windows. A reduction needs
/// a full scale-down window of them, so a restarted operator does not reduce anything on its first decision.
/// </param>
public sealed record RecommendationHistory(
    ImmutableArray<TimedRecommendation> Recommendations,
    ImmutableArray<ScaleUpEvent> ScaleUps,
    DateTimeOffset? ObservedSince)
{
    public static RecommendationHistory Empty { get; } = new([], [], null);

    /// <summary>
    /// Clamps <paramref name="current"/> between the lowest recommendation inside the scale-up window and
    /// the highest inside the scale-down window, both counting <paramref name="recommendation"/>: a
    /// reduction happens only once every recent recommendation agrees with it (the HPA's stabilisation),
    /// and not before a whole scale-down window has been observed.
    /// </summary>
    internal int Stabilize(int current, int recommendation, DateTimeOffset now, TimeSpan upWindow, TimeSpan downWindow)
    {
        var lowest = recommendation;
        var highest = recommendation;
        foreach (var past in Recommendations)
        {
            if (past.Time > now - upWindow)
            {
                lowest = Math.Min(lowest, past.Value);
            }

            if (past.Time > now - downWindow)
            {
                highest = Math.Max(highest, past.Value);
            }
        }

        var stabilized = Math.Clamp(current, lowest, highest);
        return HasObserved(downWindow, now) ? stabilized : Math.Max(stabilized, current);
    }

    internal bool HasObserved(TimeSpan window, DateTimeOffset now) => ObservedSince is { } since && now - since >= window;

    /// <summary>How much of <paramref name="window"/> has been observed; null once all of it has.</summary>
    internal TimeSpan? ObservedPartOf(TimeSpan window, DateTimeOffset now) =>
        HasObserved(window, now) ? null : now - (ObservedSince ?? now);

    /// <summary>Pods added within the period that ends now.</summary>
    internal int AddedWithin(TimeSpan period, DateTimeOffset now) => ScaleUps.Where(e => e.Time > now - period).Sum(e => e.AddedReplicas);

    /// <summary>
    /// Drops what no window can see any more, so the history stays small. When nothing is left, the
    /// observation starts again now: a gap longer than the windows (an outage) proves no quiet window.
    /// </summary>
    internal RecommendationHistory Prune(DateTimeOffset now, TimeSpan upWindow, TimeSpan downWindow, TimeSpan scaleUpPeriod)
    {
        var longestWindow = upWindow > downWindow ? upWindow : downWindow;
        var recommendations = Recommendations.Where(r => r.Time > now - longestWindow).ToImmutableArray();
        return new RecommendationHistory(
            recommendations,
            ScaleUps.Where(e => e.Time > now - scaleUpPeriod).ToImmutableArray(),
            recommendations.IsEmpty ? now : ObservedSince ?? now);
    }

    internal RecommendationHistory With(TimedRecommendation recommendation, ScaleUpEvent? scaleUp) =>
        this with { Recommendations = Recommendations.Add(recommendation), ScaleUps = scaleUp is { } added ? ScaleUps.Add(added) : ScaleUps };
}
