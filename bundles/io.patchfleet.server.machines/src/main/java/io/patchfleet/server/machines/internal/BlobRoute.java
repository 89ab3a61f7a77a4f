package io.patchfleet.server.machines.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.patchfleet.model.Sha256;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.BlobInfo;
import io.patchfleet.store.api.BlobStore;
import io.patchfleet.store.api.StoreException;

/**
 * {@code GET /v1/blobs/{sha256}}: a module by its content hash, whole or from a byte offset
 * ({@code Range: bytes=N-} or {@code bytes=N-M}, answered 206) so an interrupted download
 * resumes. Only the one {@code bytes} range form is served; anything else is 416.
 */
@Component
public class BlobRoute implements Route {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{1,18})-(\\d{1,18})?");

    private final BlobStore blobs;
    private final MachineApi api;

    @Activate
    public BlobRoute(@Reference BlobStore blobs, @Reference MachineApi api) {
        this.blobs = blobs;
        this.api = api;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/v1/blobs/{sha256}";
    }

    @Override
    public Scope scope() {
        return Scope.MACHINE;
    }

    @Override
    public ApiResponse handle(ApiRequest request) throws ApiException {
        Sha256 sha;
        try {
            sha = Sha256.of(request.pathParameter("sha256").orElseThrow());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-digest", "A blob is named by its SHA-256 in lower-case hex");
        }
        try {
            BlobInfo info = blobs.stat(sha).orElseThrow(() -> ApiException.notFound("No blob " + sha.hex()));
            long start = 0;
            long end = info.length() - 1;
            int status = 200;
            var range = request.header("Range");
            if (range.isPresent()) {
                Matcher m = RANGE.matcher(range.get().trim());
                if (!m.matches()) {
                    throw rangeError(info);
                }
                start = Long.parseLong(m.group(1));
                if (m.group(2) != null) {
                    end = Math.min(end, Long.parseLong(m.group(2)));
                }
                if (start > end || start >= info.length()) {
                    throw rangeError(info);
                }
                status = 206;
            }
            long from = start;
            long length = end - start + 1;
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Accept-Ranges", "bytes");
            headers.put("ETag", "\"" + sha.hex() + "\"");
            headers.put("Cache-Control", "public, max-age=31536000, immutable");
            if (status == 206) {
                headers.put("Content-Range", "bytes " + start + "-" + end + "/" + info.length());
            }
            // Streamed from the store as the connection takes it: a module is never held in the heap
            // whole (it was, once per request: a fleet downloading a large module at once, or a sync
            // of 1 GB, went through arrays of its full size).
            return new ApiResponse(status, headers, null, null, "application/octet-stream",
                    new ApiResponse.Streamed(length, out -> copy(sha, from, length, out)));
        } catch (StoreException e) {
            throw api.unavailable(e);
        }
    }

    /** How much of a module goes to the connection per write. */
    private static final int CHUNK = 64 * 1024;

    /** Writes {@code length} bytes of the blob from {@code from}; fails (ending the connection) if it has fewer. */
    private void copy(Sha256 sha, long from, long length, java.io.OutputStream out) throws IOException {
        try (InputStream in = blobs.open(sha, from)) {
            byte[] buffer = new byte[(int) Math.min(CHUNK, Math.max(1, length))];
            long left = length;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("blob " + sha.hex() + " ended " + left + " bytes before its recorded length");
                }
                out.write(buffer, 0, n);
                left -= n;
            }
        } catch (StoreException e) {
            throw new IOException("blob " + sha.hex() + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static ApiException rangeError(BlobInfo info) {
        return new ApiException(416, "range-not-satisfiable", "Only 'Range: bytes=N-' or 'bytes=N-M' within 0.."
                + (info.length() - 1) + " is served");
    }
}
