package io.patchfleet.client.internal;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.patchfleet.protocol.CheckInRequest;
import io.patchfleet.protocol.CheckInResponse;
import io.patchfleet.protocol.WireKernel;

/**
 * The client bundle's preload (the launcher's {@code Patchfleet-Preload} header): run on a
 * background thread while the framework starts its bundles, it does ahead the first-use work of
 * the daemon's start and first check-in that does not need the framework, on the objects the
 * daemon then uses: the shared JSON mapper's (de)serializers for the state and enrollment files,
 * the check-in's request and answer and the control socket's messages (Jackson's classes loaded,
 * initialized and run once), and the JDK's HTTP classes.
 *
 * <p>It only reads: the state and enrollment files when they exist (parsed and dropped), no file is
 * written or created, no connection is opened. Whatever it does not get to is done the usual way
 * by the component. Measured in BENCHMARKS.md (client footprint).
 */
public final class Preload implements Consumer<Map<String, String>> {

    @Override
    public void accept(Map<String, String> framework) {
        try {
            String data = framework.get("patchfleet.data");
            if (data != null) {
                Path client = Path.of(data).resolve("client");
                readIfPresent(client.resolve("state.json"), AgentState.class);
                readIfPresent(client.resolve("enrollment.json"), Enrollment.class);
            }
            CheckInRequest request = new CheckInRequest("0".repeat(32), new WireKernel("", "", "", ""), "unknown", 0, "",
                    Instant.EPOCH.toString(), 0, List.of(), Map.of(), 0);
            JsonFiles.COMPACT.writeValueAsBytes(request);
            JsonFiles.MAPPER.readValue("{\"kernelSupport\":\"unknown\",\"metadata\":{},\"directive\":null,\"reason\":null,"
                    + "\"nextCheckInSeconds\":0}", CheckInResponse.class);
            JsonFiles.MAPPER.readValue("{\"command\":\"status\",\"arguments\":{}}", Map.class);
            JsonFiles.COMPACT.writeValueAsBytes(Map.of("ok", true, "result", Map.of()));
            // The JDK's HTTP client classes; openConnection does not connect.
            new URL("http://127.0.0.1/").openConnection();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("client preload: " + e.getMessage(), e);
        }
    }

    private static void readIfPresent(Path file, Class<?> type) throws IOException {
        if (Files.isRegularFile(file)) {
            JsonFiles.MAPPER.readValue(file.toFile(), type);
        }
    }
}
