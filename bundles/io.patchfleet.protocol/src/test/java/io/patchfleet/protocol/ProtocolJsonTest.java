package io.patchfleet.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.MachineEvent;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchState;

class ProtocolJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @Test
    void aReportSurvivesTheWireExactly() throws Exception {
        MachineReport report = new MachineReport(new MachineId("0123456789abcdef0123456789abcdef"),
                new KernelId("6.1.0-56-amd64", "x86_64", "amd64", "#1 SMP Debian"), PatchState.APPLIED, 3, "1.0.0",
                Instant.parse("2026-11-25T10:00:00Z"), Duration.ofSeconds(3600),
                List.of(new MachineEvent(MachineEvent.Kind.values()[0], Instant.parse("2026-11-25T10:30:00Z"), 3, "ok")));
        CheckInRequest wire = CheckInRequest.of(report, Map.of("timestamp", 4L), 7);
        String text = JSON.writeValueAsString(wire);
        CheckInRequest back = JSON.readValue(text, CheckInRequest.class);
        assertEquals(report, back.toReport());
        assertEquals(7, back.directiveCounter());
        assertEquals(Map.of("timestamp", 4L), back.trustedVersions());
    }

    @Test
    void missingOrMalformedFieldsAreClearErrors() throws Exception {
        CheckInRequest noKernel = JSON.readValue("{\"machineId\":\"abc\",\"patchState\":\"applied\",\"bootTime\":\"2026-11-25T10:00:00Z\"}",
                CheckInRequest.class);
        assertEquals("kernel is required", assertThrows(IllegalArgumentException.class, noKernel::toReport).getMessage());
        CheckInRequest badState = JSON.readValue("{\"machineId\":\"abc\",\"kernel\":{\"release\":\"6.1.0-56-amd64\","
                + "\"architecture\":\"x86_64\",\"flavour\":\"amd64\"},\"patchState\":\"melted\",\"clientVersion\":\"1\","
                + "\"bootTime\":\"2026-11-25T10:00:00Z\"}", CheckInRequest.class);
        assertThrows(IllegalArgumentException.class, badState::toReport);
        assertThrows(Exception.class, () -> JSON.readValue("{\"machineId\":\"abc\",\"surprise\":1}", CheckInRequest.class));
    }
}
