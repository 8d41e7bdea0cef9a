using System.Collections;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace FastChat.Server.Transport;

/// <summary>
/// The connection is its own feature collection: the features it implements itself answer from
/// here, the four Kestrel sets on every connection have a field each (one of them is internal to
/// Kestrel, so it takes the first free general slot), and anything else goes to a small array —
/// no dictionary per connection.
/// </summary>
internal sealed partial class EpollConnection : IFeatureCollection, IConnectionIdFeature, IConnectionTransportFeature,
    IConnectionItemsFeature, IConnectionLifetimeFeature
{
    private object? _heartbeat, _complete, _lifetimeNotification;
    private KeyValuePair<Type, object> _firstOther; // Kestrel's metrics context (internal type) lands here
    private KeyValuePair<Type, object>[]? _extraFeatures;
    private int _extraCount;
    private int _revision;

    public override IFeatureCollection Features => this;

    bool IFeatureCollection.IsReadOnly => false;
    int IFeatureCollection.Revision => _revision;

    object? IFeatureCollection.this[Type key]
    {
        get
        {
            if (Own(key) is { } own) return own;
            ref object? field = ref KestrelField(key);
            return Unsafe.IsNullRef(ref field) ? Find(key) : field;
        }
        set => Store(key, value);
    }

    TFeature? IFeatureCollection.Get<TFeature>() where TFeature : default => (TFeature?)((IFeatureCollection)this)[typeof(TFeature)];

    void IFeatureCollection.Set<TFeature>(TFeature? instance) where TFeature : default => Store(typeof(TFeature), instance);

    private object? Own(Type key) =>
        key == typeof(IConnectionIdFeature) || key == typeof(IConnectionTransportFeature) ||
        key == typeof(IConnectionItemsFeature) || key == typeof(IConnectionLifetimeFeature) ? this : null;

    /// <summary>The features Kestrel sets on every connection it accepts.</summary>
    private ref object? KestrelField(Type key)
    {
        if (key == typeof(IConnectionHeartbeatFeature)) return ref _heartbeat;
        if (key == typeof(IConnectionCompleteFeature)) return ref _complete;
        if (key == typeof(IConnectionLifetimeNotificationFeature)) return ref _lifetimeNotification;
        return ref Unsafe.NullRef<object?>();
    }

    private object? Find(Type key)
    {
        lock (this)
        {
            if (_firstOther.Key == key) return _firstOther.Value;
            for (int i = 0; i < _extraCount; i++)
                if (_extraFeatures![i].Key == key) return _extraFeatures[i].Value;
        }
        return null;
    }

    private void Store(Type key, object? value)
    {
        if (Own(key) is not null) throw new NotSupportedException($"{key.Name} is provided by the epoll transport itself");
        ref object? field = ref KestrelField(key);
        if (!Unsafe.IsNullRef(ref field))
        {
            field = value;
            _revision++;
            return;
        }
        lock (this)
        {
            _revision++;
            if (_firstOther.Key == key)
            {
                _firstOther = value is null ? default : new(key, value);
                return;
            }
            for (int i = 0; i < _extraCount; i++)
            {
                if (_extraFeatures![i].Key != key) continue;
                if (value is null)
                {
                    _extraFeatures[i] = _extraFeatures[--_extraCount];
                    _extraFeatures[_extraCount] = default;
                }
                else _extraFeatures[i] = new(key, value);
                return;
            }
            if (value is null) return;
            if (_firstOther.Key is null)
            {
                _firstOther = new(key, value);
                return;
            }
            if (_extraFeatures is null || _extraCount == _extraFeatures.Length) Array.Resize(ref _extraFeatures, (_extraFeatures?.Length ?? 2) * 2);
            _extraFeatures[_extraCount++] = new(key, value);
        }
    }

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator()
    {
        yield return new(typeof(IConnectionIdFeature), this);
        yield return new(typeof(IConnectionTransportFeature), this);
        yield return new(typeof(IConnectionItemsFeature), this);
        yield return new(typeof(IConnectionLifetimeFeature), this);
        if (_heartbeat is not null) yield return new(typeof(IConnectionHeartbeatFeature), _heartbeat);
        if (_complete is not null) yield return new(typeof(IConnectionCompleteFeature), _complete);
        if (_lifetimeNotification is not null) yield return new(typeof(IConnectionLifetimeNotificationFeature), _lifetimeNotification);
        if (_firstOther.Key is not null) yield return _firstOther;
        KeyValuePair<Type, object>[] extra;
        lock (this) extra = _extraFeatures is null ? [] : _extraFeatures[.._extraCount];
        foreach (var feature in extra) yield return feature;
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();
}
