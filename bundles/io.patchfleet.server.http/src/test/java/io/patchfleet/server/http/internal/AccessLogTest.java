package io.patchfleet.server.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {
    @TempDir
    Path dir;

    @Test
    void linesAreJsonAndRotateAtTheirSize() throws Exception {
        Path file = dir.resolve("log").resolve("access.log");
        try (AccessLog log = new AccessLog(file, 4096, 2)) {
            for (int i = 0; i < 200; i++) {
                log.record("req-" + i, "127.0.0.1", "POST", "/v1/check-in?\"x\n" + i, "/v1/check-in", 304, 1_500_000, "m-" + i);
            }
        }
        assertTrue(Files.exists(file.resolveSibling("access.log.1")), "rotated once at least");
        assertTrue(Files.exists(file.resolveSibling("access.log.2")), "kept two rotated files");
        assertFalse(Files.exists(file.resolveSibling("access.log.3")), "not more than configured");
        for (String name : List.of("access.log.1", "access.log.2")) {
            // rotated within one line of its size, however many lines the writer took at once
            assertTrue(Files.size(file.resolveSibling(name)) < 4096 + 300, name + ": " + Files.size(file.resolveSibling(name)));
        }
        List<String> lines = new ArrayList<>();
        for (String name : List.of("access.log.2", "access.log.1", "access.log")) {
            Path p = file.resolveSibling(name);
            if (Files.exists(p)) {
                lines.addAll(Files.readAllLines(p));
            }
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode last = json.readTree(lines.get(lines.size() - 1));
        assertEquals("req-199", last.get("requestId").asText());
        assertEquals("/v1/check-in?\"x\n199", last.get("path").asText(), "quotes and newlines escaped, one line");
        assertEquals(304, last.get("status").asInt());
        assertEquals(1.5, last.get("durationMs").asDouble());
        assertEquals("m-199", last.get("principal").asText());
        for (String line : lines) {
            json.readTree(line);
        }
    }
}
