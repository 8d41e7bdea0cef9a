using FastChat.Protocol.Frames;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Connections;

/// <summary>MEDIA_UPLOAD_REQUEST (protocol-spec/16-media.md): a signed upload ticket for the media endpoint, counted against the user's daily bytes.</summary>
internal sealed partial class ClientConnection
{
    private bool QueueMediaUpload(ReadOnlySpan<byte> body)
    {
        if (!MediaUploadRequestBody.TryParse(body, out var request)) return Malformed("MEDIA_UPLOAD_REQUEST");
        if (_server.Media is null) return MediaRefusal(request.RequestId, MediaStatusCode.Unavailable, "this server has no media endpoint");
        if (!Limits.TryTakeTicket(_server.Clock.NowTicks)) return MediaRefusal(request.RequestId, MediaStatusCode.RateLimited, "too many upload tickets; slow down");
        _pendingRequest = () => IssueTicketAsync(request);
        return true;
    }

    private async Task IssueTicketAsync(MediaUploadRequestBody request)
    {
        MediaTicketBody ticket;
        try
        {
            ticket = await _server.Media!.IssueAsync(request, UserName, _userBytes!, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or Amazon.Runtime.AmazonServiceException or HttpRequestException)
        {
            _server.Logger.LogWarning(ex, "The blob store did not answer for {User}'s upload ticket.", UserName);
            ticket = new MediaTicketBody(request.RequestId, MediaStatusCode.Unavailable, "", "", 0, 0, [], "the media store is not available; retry later");
        }
        TryWrite(ControlFrames.Encode(ticket));
    }

    private bool MediaRefusal(ulong requestId, MediaStatusCode status, string message) =>
        TryWrite(ControlFrames.Encode(new MediaTicketBody(requestId, status, "", "", 0, 0, [], message)));
}
