using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FastChat.Server.Media;

/// <summary>
/// The media endpoint's HTTP API (protocol-spec/16-media.md), on its own port: resumable uploads
/// (HEAD for the offset, PATCH to append, as tus.io's core protocol does) with signed upload URLs,
/// and downloads of blobs by signed expiring URLs, with ranges and CDN-friendly caching.
/// </summary>
internal static class MediaEndpoints
{
    private const string OffsetHeader = "Upload-Offset";
    private const string ChunkType = "application/offset+octet-stream";

    public static void MapMediaEndpoints(this WebApplication app, int port)
    {
        var media = app.MapGroup("/v1").RequireHost($"*:{port}");
        media.MapMethods("/upload/{id}", [HttpMethods.Head], (string id, HttpContext context, MediaService service) =>
        {
            if (Authorize(id, context, service, out var user, out ulong size) is { } refused) return refused;
            context.Response.Headers[OffsetHeader] = service.Uploads.Offset(id, user).ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["Upload-Length"] = size.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers.CacheControl = "no-store";
            return Results.Ok();
        });
        media.MapMethods("/upload/{id}", [HttpMethods.Patch], async (string id, HttpContext context, MediaService service) =>
        {
            if (Authorize(id, context, service, out var user, out ulong size) is { } refused) return refused;
            if (context.Request.ContentType != ChunkType) return Results.Text($"a chunk is sent as {ChunkType}\n", statusCode: StatusCodes.Status415UnsupportedMediaType);
            if (!long.TryParse(context.Request.Headers[OffsetHeader], NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
                return Results.Text($"{OffsetHeader} is required\n", statusCode: StatusCodes.Status400BadRequest);
            if (context.Request.ContentLength > service.Options.MaxChunkBytes)
                return Results.Text($"a chunk is at most {service.Options.MaxChunkBytes} bytes\n", statusCode: StatusCodes.Status413PayloadTooLarge);
            if (await service.Blobs.StatAsync(id, context.RequestAborted) is not null) return Offset(context, (long)size, StatusCodes.Status204NoContent);
            var (outcome, now) = await service.Uploads.AppendAsync(id, user, (long)size, offset, context.Request.Body, service.Options.MaxChunkBytes, context.RequestAborted);
            return outcome switch
            {
                ChunkOutcome.Accepted or ChunkOutcome.Completed => Offset(context, now, StatusCodes.Status204NoContent),
                ChunkOutcome.WrongOffset => Offset(context, now, StatusCodes.Status409Conflict),
                ChunkOutcome.TooLong => Results.Text($"a chunk is at most {service.Options.MaxChunkBytes} bytes and ends at the file's size\n", statusCode: StatusCodes.Status413PayloadTooLarge),
                _ => Results.Text("the file's SHA-256 is not the one the ticket names; the upload was discarded\n", statusCode: StatusCodes.Status422UnprocessableEntity),
            };
        });
        media.MapGet("/blob/{id}", async (string id, HttpContext context, MediaService service) =>
        {
            if (!BlobIds.IsValid(id) || !long.TryParse(context.Request.Query["e"], NumberStyles.None, CultureInfo.InvariantCulture, out long expires)
                || !service.Signer.VerifyDownload(id, expires, context.Request.Query["s"].ToString()))
                return Results.Text("this URL is not one the server signed\n", statusCode: StatusCodes.Status403Forbidden);
            long now = service.Time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now >= expires) return Results.Text("this URL has expired\n", statusCode: StatusCodes.Status410Gone);
            if (await service.Blobs.StatAsync(id, context.RequestAborted) is not { } blob) return Results.Text("no such blob (yet, or any more)\n", statusCode: StatusCodes.Status404NotFound);
            return await SendAsync(context, service, id, blob.Length, (expires - now) / 1000);
        });
    }

    private static async Task<IResult> SendAsync(HttpContext context, MediaService service, string id, long length, long maxAgeSeconds)
    {
        var response = context.Response;
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = $"\"{id}\"";
        // The same URL always names the same bytes: any cache may keep them until the URL expires.
        response.Headers.CacheControl = $"public, max-age={maxAgeSeconds}, immutable";
        long from = 0, count = length;
        if (context.Request.GetTypedHeaders().Range is { } range)
        {
            if (range.Unit != "bytes" || range.Ranges.Count != 1) return Results.Text("one byte range at a time\n", statusCode: StatusCodes.Status416RangeNotSatisfiable);
            var only = range.Ranges.First();
            if (only.From is { } start) (from, count) = (start, Math.Min(only.To ?? length - 1, length - 1) - start + 1);
            else if (only.To is { } suffix) (from, count) = (Math.Max(0, length - suffix), Math.Min(suffix, length));
            if (from >= length || count <= 0)
            {
                response.Headers.ContentRange = $"bytes */{length}";
                return Results.StatusCode(StatusCodes.Status416RangeNotSatisfiable);
            }
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {from}-{from + count - 1}/{length}";
        }
        await using var stream = await service.Blobs.OpenReadAsync(id, from, count, context.RequestAborted);
        if (stream is null) return Results.NotFound();
        response.ContentType = "application/octet-stream";
        response.ContentLength = count;
        await stream.CopyToAsync(response.Body, context.RequestAborted);
        return Results.Empty;
    }

    /// <summary>Checks an upload URL's signature and expiry; null when it may go on.</summary>
    private static IResult? Authorize(string id, HttpContext context, MediaService service, out string user, out ulong size)
    {
        var query = context.Request.Query;
        user = query["u"].ToString();
        size = 0;
        if (!BlobIds.IsValid(id) || !Protocol.Wire.UserName.IsValid(user) || !ulong.TryParse(query["n"], NumberStyles.None, CultureInfo.InvariantCulture, out size)
            || !long.TryParse(query["e"], NumberStyles.None, CultureInfo.InvariantCulture, out long expires) || !service.Signer.VerifyUpload(id, user, size, expires, query["s"].ToString()))
            return Results.Text("this upload URL is not one the server signed\n", statusCode: StatusCodes.Status403Forbidden);
        if (service.Time.GetUtcNow().ToUnixTimeMilliseconds() >= expires) return Results.Text("this upload URL has expired; ask for a new ticket\n", statusCode: StatusCodes.Status410Gone);
        return null;
    }

    private static IResult Offset(HttpContext context, long offset, int status)
    {
        context.Response.Headers[OffsetHeader] = offset.ToString(CultureInfo.InvariantCulture);
        return Results.StatusCode(status);
    }
}
