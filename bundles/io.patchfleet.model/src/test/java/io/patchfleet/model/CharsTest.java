package io.patchfleet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The hand-written scans of {@link Chars} agree with the regular expressions they replaced, on
 * the inputs a check-in carries, on random strings over an alphabet of every class boundary, and
 * on mutations of valid inputs (a character changed, inserted, removed, the length pushed past
 * its limit).
 */
class CharsTest {
    private static final String ALPHABET = "09afgzAFZ._+~-/ \t\u007f\u00e9\u0660:#=@`{[\u0000";
    private static final int ROUNDS = 40_000;

    private static void agree(String regex, Predicate<String> scan, List<String> samples) {
        Pattern p = Pattern.compile(regex);
        Random random = new Random(regex.hashCode());
        for (String s : samples) {
            assertEquals(p.matcher(s).matches(), scan.test(s), () -> regex + " on \"" + s + "\"");
            for (int r = 0; r < 50; r++) {
                String m = mutate(s, random);
                assertEquals(p.matcher(m).matches(), scan.test(m), () -> regex + " on \"" + m + "\"");
            }
        }
        for (int r = 0; r < ROUNDS; r++) {
            String s = randomString(random, random.nextInt(r % 10 == 0 ? 300 : 12));
            assertEquals(p.matcher(s).matches(), scan.test(s), () -> regex + " on \"" + s + "\"");
        }
    }

    private static String randomString(Random random, int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }

    private static String mutate(String s, Random random) {
        StringBuilder b = new StringBuilder(s);
        char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
        switch (random.nextInt(5)) {
            case 0 -> { if (b.length() > 0) b.setCharAt(random.nextInt(b.length()), c); }
            case 1 -> b.insert(random.nextInt(b.length() + 1), c);
            case 2 -> { if (b.length() > 0) b.deleteCharAt(random.nextInt(b.length())); }
            case 3 -> b.append(String.valueOf(b.length() > 0 ? b.charAt(b.length() - 1) : c).repeat(200));
            default -> b.append(c);
        }
        return b.toString();
    }

    @Test
    void theScansAgreeWithTheExpressionsTheyReplaced() {
        agree("[0-9a-f]{64}", Chars::hex64, List.of("a".repeat(64), "0123456789abcdef".repeat(4), "f".repeat(63)));
        agree("[a-z0-9][a-z0-9_-]{0,127}", Chars::machineId,
                List.of("4c4c4544004c3510804cb2c04f4e4b32", "m-1", "a".repeat(128), "machine_000001"));
        agree("[a-z0-9_]{1,32}", Chars::architecture, List.of("x86_64", "aarch64", "s390x", "a".repeat(32)));
        agree("|[a-z][a-z0-9+_-]{0,31}", Chars::flavour, List.of("", "generic", "cloud-amd64", "a".repeat(32)));
        agree("[\\x20-\\x7e]{0,256}", s -> Chars.printableAscii(s, 256),
                List.of("", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023", "~".repeat(256)));
        agree("[A-Za-z0-9.+_~-]{1,64}", Chars::clientVersion, List.of("1.0.0", "1.0.0-SNAPSHOT", "2.3+deb12u1~rc1"));
        agree("(\\d+)\\.(\\d+)(?:\\.(\\d+))?[A-Za-z0-9._+~-]*", Chars::release,
                List.of("6.1.0-56-amd64", "5.15.0-91-generic", "5.14.0-362.8.1.el9_3.x86_64", "6.6", "6.6.1", "10.0"));
    }

    @Test
    void theConstructorsStillRejectWhatTheExpressionsRejected() {
        assertTrue(Chars.release("6.1.0-56-amd64"));
        assertFalse(Chars.release("6."));
        assertFalse(Chars.release(".6"));
        assertFalse(Chars.release("6.1/../x"));
        assertFalse(Chars.machineId("-leading-dash"));
        assertFalse(Chars.machineId("UPPER"));
        assertFalse(Chars.hex64("A".repeat(64)));
    }
}
