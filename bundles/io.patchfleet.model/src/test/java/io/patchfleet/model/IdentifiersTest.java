package io.patchfleet.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentifiersTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "../x", "..", ".hidden", "a/b", "a\\b", "ABCDEF", "a b", "a\u0000", "-x",
        "x\n", "é"})
    void machineIdRejectsPathTricksAndOddCharacters(String id) {
        assertThrows(IllegalArgumentException.class, () -> MachineId.of(id));
    }

    @Test
    void machineIdAcceptsEtcMachineIdAndBoundsLength() {
        assertEquals("4c4c4544003510528036b4c04f384e32", MachineId.of("4c4c4544003510528036b4c04f384e32").value());
        assertDoesNotThrow(() -> MachineId.of("a".repeat(128)));
        assertThrows(IllegalArgumentException.class, () -> MachineId.of("a".repeat(129)));
        assertThrows(NullPointerException.class, () -> MachineId.of(null));
    }

    @Test
    void tierNameIsStrict() {
        assertEquals("edge", TierName.of("edge").value());
        assertThrows(IllegalArgumentException.class, () -> TierName.of("Edge"));
        assertThrows(IllegalArgumentException.class, () -> TierName.of("../stable"));
        assertThrows(IllegalArgumentException.class, () -> new Tier(TierName.of("edge"), -1));
    }

    @Test
    void machineTagsAreValidatedAndCopied() {
        java.util.HashSet<String> tags = new java.util.HashSet<>(Set.of("dc=fra1"));
        Machine m = new Machine(MachineId.of("m1"), TierName.of("edge"), tags, Instant.EPOCH);
        tags.add("later");
        assertEquals(Set.of("dc=fra1"), m.tags());
        assertThrows(IllegalArgumentException.class,
                () -> new Machine(MachineId.of("m1"), TierName.of("edge"), Set.of("a b"), Instant.EPOCH));
    }

    @Test
    void sha256HasOneSpelling() {
        Sha256 empty = Sha256.digestOf(new byte[0]);
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty.hex());
        assertArrayEquals(Sha256.newDigest().digest("".getBytes(StandardCharsets.UTF_8)), empty.bytes());
        assertThrows(IllegalArgumentException.class, () -> Sha256.of(empty.hex().toUpperCase()));
        assertThrows(IllegalArgumentException.class, () -> Sha256.of(empty.hex().substring(1)));
        assertThrows(IllegalArgumentException.class, () -> Sha256.ofDigest(new byte[31]));
    }

    @Test
    void cveIdIsValidated() {
        assertEquals("CVE-2024-1086", new Cve("CVE-2024-1086", Severity.HIGH).id());
        assertThrows(IllegalArgumentException.class, () -> new Cve("cve-2024-1086", Severity.HIGH));
        assertThrows(IllegalArgumentException.class, () -> new Cve("CVE-24-1", Severity.HIGH));
        assertThrows(NullPointerException.class, () -> new Cve("CVE-2024-1086", null));
    }
}
