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
            byte[] bytes = new byte[(int) (end - start + 1)];
            try (InputStream in = blobs.open(sha, start)) {
                int read = in.readNBytes(bytes, 0, bytes.length);
                if (read != bytes.length) {
                    throw new IOException("blob " + sha.hex() + " shorter than its recorded length");
                }
            }
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Accept-Ranges", "bytes");
            headers.put("ETag", "\"" + sha.hex() + "\"");
            headers.put("Cache-Control", "public, max-age=31536000, immutable");
            if (status == 206) {
                headers.put("Content-Range", "bytes " + start + "-" + end + "/" + info.length());
            }
            return new ApiResponse(status, headers, null, bytes, "application/octet-stream");
        } catch (StoreException | IOException e) {
            throw api.unavailable(e);
        }
    }

    private static ApiException rangeError(BlobInfo info) {
        return new ApiException(416, "range-not-satisfiable", "Only 'Range: bytes=N-' or 'bytes=N-M' within 0.."
                + (info.length() - 1) + " is served");
    }
}
