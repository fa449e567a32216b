namespace Platform.Metrics;

/// <summary>Converts any supported measurement type to double without boxing.</summary>
internal static class MeasurementConverter
{
    // typeof(T) checks are folded away by the JIT for each value-type instantiation, and the
    // (X)(object)value casts then compile to plain conversions: no allocation on the hot path.
    public static double ToDouble<T>(T value)
        where T : struct
    {
        if (typeof(T) == typeof(double))
        {
            return (double)(object)value;
        }

        if (typeof(T) == typeof(long))
        {
            return (long)(object)value;
        }

        if (typeof(T) == typeof(int))
        {
            return (int)(object)value;
        }

        if (typeof(T) == typeof(float))
        {
            return (float)(object)value;
        }

        if (typeof(T) == typeof(short))
        {
            return (short)(object)value;
        }

        if (typeof(T) == typeof(byte))
        {
            return (byte)(object)value;
        }

        if (typeof(T) == typeof(decimal))
        {
            return (double)(decimal)(object)value;
        }

        throw new NotSupportedException($"Measurement type {typeof(T)} is not supported.");
    }
}
