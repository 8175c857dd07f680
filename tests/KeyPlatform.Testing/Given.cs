using System.Reflection;

namespace KeyPlatform.Testing;

/// <summary>Builds a decider's state from events the way Marten does: the static <c>Create(firstEvent)</c>, then
/// <c>Apply(event)</c> for each later one. Given events, When command, Then events or refusal.</summary>
public static class Given
{
    public static TState? Events<TState>(params object[] events) where TState : class
    {
        TState? state = null;
        foreach (var @event in events)
        {
            state = state is null
                ? (TState)Invoke(typeof(TState).GetMethod("Create", BindingFlags.Public | BindingFlags.Static, [@event.GetType()]), null, @event)
                : (TState)Invoke(typeof(TState).GetMethod("Apply", BindingFlags.Public | BindingFlags.Instance, [@event.GetType()]), state, @event);
        }
        return state;
    }

    private static object Invoke(MethodInfo? method, object? target, object @event) =>
        (method ?? throw new InvalidOperationException($"No Create/Apply for {@event.GetType().Name}")).Invoke(target, [@event])!;
}
