using System.Collections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace FastChat.Server.Transport;

/// <summary>
/// The connection is its own feature collection: the features it implements itself answer from
/// here, and the few Kestrel adds (heartbeat, completion, lifetime notification, metrics) live
/// in a small array rather than a dictionary per connection.
/// </summary>
internal sealed partial class EpollConnection : IFeatureCollection, IConnectionIdFeature, IConnectionTransportFeature,
    IConnectionItemsFeature, IConnectionLifetimeFeature
{
    private KeyValuePair<Type, object>[]? _extraFeatures;
    private int _extraCount;
    private int _revision;

    public override IFeatureCollection Features => this;

    bool IFeatureCollection.IsReadOnly => false;
    int IFeatureCollection.Revision => _revision;

    object? IFeatureCollection.this[Type key]
    {
        get => Own(key) ?? Find(key);
        set => Store(key, value);
    }

    TFeature? IFeatureCollection.Get<TFeature>() where TFeature : default => (TFeature?)((IFeatureCollection)this)[typeof(TFeature)];

    void IFeatureCollection.Set<TFeature>(TFeature? instance) where TFeature : default => Store(typeof(TFeature), instance);

    private object? Own(Type key) =>
        key == typeof(IConnectionIdFeature) || key == typeof(IConnectionTransportFeature) ||
        key == typeof(IConnectionItemsFeature) || key == typeof(IConnectionLifetimeFeature) ? this : null;

    private object? Find(Type key)
    {
        lock (this)
        {
            for (int i = 0; i < _extraCount; i++)
                if (_extraFeatures![i].Key == key) return _extraFeatures[i].Value;
        }
        return null;
    }

    private void Store(Type key, object? value)
    {
        if (Own(key) is not null) throw new NotSupportedException($"{key.Name} is provided by the epoll transport itself");
        lock (this)
        {
            _revision++;
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
        KeyValuePair<Type, object>[] extra;
        lock (this) extra = _extraFeatures is null ? [] : _extraFeatures[.._extraCount];
        foreach (var feature in extra) yield return feature;
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();
}
