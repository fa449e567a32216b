using System.Reflection;

namespace Platform.Operator.Kubernetes;

/// <summary>
/// Reads the <c>ObjectMeta Metadata</c> property every object model has. The models share no interface (they mirror
/// the API's shapes and nothing more), so the getter is found once per type by reflection.
/// </summary>
internal static class ObjectMetadata
{
    public static ObjectMeta? Of<T>(T obj) where T : class => Getter<T>()(obj);

    /// <summary>Throws, naming the type, when <typeparamref name="T"/> has no Metadata property.</summary>
    public static void EnsureReadable<T>() where T : class => _ = Getter<T>();

    private static Func<T, ObjectMeta?> Getter<T>() where T : class =>
        Accessor<T>.Get ?? throw new InvalidOperationException($"{typeof(T).Name} has no public ObjectMeta Metadata property.");

    private static class Accessor<T> where T : class
    {
        public static readonly Func<T, ObjectMeta?>? Get = Find();

        private static Func<T, ObjectMeta?>? Find()
        {
            var property = typeof(T).GetProperty("Metadata", BindingFlags.Public | BindingFlags.Instance);
            return property?.PropertyType == typeof(ObjectMeta) && property.GetMethod is { } getter
                ? getter.CreateDelegate<Func<T, ObjectMeta?>>()
                : null;
        }
    }
}
